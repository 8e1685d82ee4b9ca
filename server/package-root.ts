/** The installed package's root folder (found from this file whether it runs from source or dist) and version. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'protos'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package root above ${start}`);
    dir = parent;
  }
  return dir;
}

/** Absolute path of the folder holding package.json and protos/. */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** Absolute path of the proto include root. */
export const PROTOS_DIR = join(PACKAGE_ROOT, 'protos');

/** The package's version, as package.json gives it. */
export const PACKAGE_VERSION: string = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
