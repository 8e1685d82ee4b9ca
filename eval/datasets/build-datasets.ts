/**
 * `npm run datasets` (part of `npm run build`): writes the shipped datasets into this folder, one
 * subfolder each, for the bridge's batch evaluation page (`sluice up` serves this folder). Files
 * already up to date are left alone, so a rerun is quick and changes nothing.
 */
import { join } from 'node:path';
import { writeColoursDataset } from './colours-dataset.js';

const DATASETS_DIR = import.meta.dirname;

try {
  const started = performance.now();
  const colours = await writeColoursDataset(join(DATASETS_DIR, 'colours'));
  const status = colours.written === 0 && colours.removed === 0 ? 'up to date' : `${colours.written} files written${colours.removed > 0 ? `, ${colours.removed} removed` : ''}`;
  console.log(`colours       ${colours.images} images, ${status} (${Math.round(performance.now() - started)} ms)`);
} catch (err: unknown) {
  console.error(`datasets: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
