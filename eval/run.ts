/**
 * `npm run eval`: measures OCR accuracy. Starts a Sluice server in this process (port 0, two
 * workers, silent), renders the labelled set, runs it through the PP-OCR models and the `ocr`
 * pipeline when served, prints the scores and writes them to `eval/results/<time>.json`.
 *
 *   npm run eval [-- --seed <n>] [--images <n>]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { SluiceClient } from '../client/index.js';
import { SluiceServer, createLogger, resolveServerConfig } from '../server/index.js';
import { DEFAULT_SEED } from './dataset/generate-dataset.js';
import { missingFontFamilies } from './dataset/fonts.js';
import { evaluate } from './evaluate/evaluate.js';
import { formatReport } from './report/format-report.js';

const EVAL_DIR = import.meta.dirname;
const ROOT = join(EVAL_DIR, '..');

/** 60 images hold about 150 lines: enough to tell a regression, quick enough to run often. */
const DEFAULT_IMAGES = 60;

function integerOption(value: string | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string' }, images: { type: 'string' } } });
  const seed = integerOption(values.seed, DEFAULT_SEED, 'seed', 0);
  const images = integerOption(values.images, DEFAULT_IMAGES, 'images', 1);

  const missing = await missingFontFamilies();
  if (missing.length > 0) console.warn(`fontconfig does not know ${missing.join(', ')}: those lines fall back to another typeface`);

  const config = resolveServerConfig({
    flags: { host: '127.0.0.1', port: 0, modelsDir: join(ROOT, 'models'), workers: 2, intraOpThreads: 1, logLevel: 'silent' },
  });
  const server = await SluiceServer.start(config, { logger: createLogger({ level: config.logLevel, pretty: false }) });
  const client = new SluiceClient(`127.0.0.1:${server.port}`);
  try {
    const report = await evaluate(client, { seed, images });
    const resultsDir = join(EVAL_DIR, 'results');
    await mkdir(resultsDir, { recursive: true });
    // Colons are not allowed in file names everywhere.
    const file = join(resultsDir, `${report.createdAt.replace(/[:.]/g, '-')}.json`);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(formatReport(report));
    console.log(`results in ${relative(process.cwd(), file)}`);
  } finally {
    client.close();
    await server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
