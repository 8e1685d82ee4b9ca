import { copyFile, mkdir, rename, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Copies `source` to `destination` unless the destination already has the same size and is at
 * least as new. The copy goes through a temporary file and a rename, so a reader never sees half
 * a file. Resolves to whether it copied.
 */
export async function copyIfStale(source: string, destination: string): Promise<boolean> {
  const [from, to] = await Promise.all([stat(source), statOrNull(destination)]);
  if (to !== null && to.size === from.size && to.mtimeMs >= from.mtimeMs) {
    return false;
  }
  await mkdir(dirname(destination), { recursive: true });
  const temporary = `${destination}.${process.pid}.tmp`;
  await copyFile(source, temporary);
  await rename(temporary, destination);
  return true;
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (err: unknown) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') {
      return null;
    }
    throw err;
  }
}
