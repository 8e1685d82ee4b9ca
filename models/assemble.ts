/**
 * `npm run models`: assembles the model repository (see README.md in this folder) and prints one
 * line per model.
 */
import { basename } from 'node:path';
import { assembleModels, type AssembledModel } from './assemble-models.js';

function describe(model: AssembledModel): string {
  const status = model.changed ? model.kind : 'up to date';
  const files = model.files.map((path) => basename(path)).join(', ');
  return `${model.name.padEnd(13)} ${status.padEnd(10)} ${files} (${formatBytes(model.bytes)})`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

try {
  for (const model of await assembleModels()) {
    console.log(describe(model));
  }
} catch (err: unknown) {
  console.error(`models: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
