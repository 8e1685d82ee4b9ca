import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `bytes` to `path` unless the file already holds exactly those bytes, so that re-running
 * the assembly leaves files (and their mtimes) alone. Writes through a temporary file and a
 * rename. Resolves to whether it wrote.
 */
export async function writeIfChanged(path: string, bytes: Uint8Array): Promise<boolean> {
  const existing = await readOrNull(path);
  if (existing !== null && existing.equals(bytes)) {
    return false;
  }
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
  return true;
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err: unknown) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') {
      return null;
    }
    throw err;
  }
}
