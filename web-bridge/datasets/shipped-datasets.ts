/** Where the package's own datasets are generated (`npm run datasets`, part of the build). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

/** `eval/datasets` in the package. */
export const SHIPPED_DATASETS_DIR = join(PACKAGE_ROOT, 'eval', 'datasets');

/** `SHIPPED_DATASETS_DIR` when it exists (what `sluice up` serves unless told otherwise), else undefined. */
export function shippedDatasetsDir(): string | undefined {
  return existsSync(SHIPPED_DATASETS_DIR) ? SHIPPED_DATASETS_DIR : undefined;
}
