/**
 * Temporary model repositories for tests that need a model configured differently.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { MODELS_DIR } from './test-server.js';

/**
 * A repository holding copies of repository model folders (model file, labels, config), each with
 * extra YAML appended to its config (`{ name: 'add-delayed', from: 'add', yaml: 'dynamic_batching:
 * ...' }`). Removed after the test.
 */
export async function tempRepository(
  t: Pick<TestContext, 'after'>,
  models: readonly { readonly name: string; readonly from: string; readonly yaml?: string }[],
): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'sluice-repo-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (const model of models) {
    const dir = join(root, model.name);
    await cp(join(MODELS_DIR, model.from), dir, { recursive: true });
    const base = (await readFile(join(MODELS_DIR, model.from, 'model.yaml'), 'utf8')).replace(/^name:.*$/m, '');
    await writeFile(join(dir, 'model.yaml'), `${base}\n${model.yaml ?? ''}\n`);
  }
  return root;
}
