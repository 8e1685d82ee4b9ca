/**
 * Python gRPC clients for interop tests: Debian's python3-grpcio and python3-protobuf (importable
 * only by /usr/bin/python3, not by a pyenv python3 first on the PATH) and protoc, which generates
 * the message classes from our protos at run time. `.ci/run` installs all three.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './server-process.js';

const run = promisify(execFile);

/** The interpreter that sees Debian's grpcio and protobuf. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/**
 * Why Python interop tests cannot run here, or `false` when they can: the value for node:test's
 * `skip` option.
 */
export function pythonGrpcMissing(): string | false {
  const python = spawnSync(SYSTEM_PYTHON, ['-c', 'import grpc, google.protobuf'], { encoding: 'utf8' });
  if (python.status !== 0) {
    return `${SYSTEM_PYTHON} cannot import grpc and google.protobuf: apt-get install python3-grpcio python3-protobuf`;
  }
  const protoc = spawnSync('protoc', ['--version'], { encoding: 'utf8' });
  if (protoc.status !== 0) return 'protoc is missing: apt-get install protobuf-compiler';
  return false;
}

/**
 * Generates Python message classes (`<outDir>/<package path>/<file>_pb2.py`) for `protoFiles`,
 * given relative to `protos/`; `outDir` goes on the script's `sys.path`.
 */
export async function generatePythonProtos(outDir: string, protoFiles: readonly string[]): Promise<void> {
  const protos = join(REPO_ROOT, 'protos');
  await run('protoc', [`--python_out=${outDir}`, `-I${protos}`, ...protoFiles.map((f) => join(protos, f))]);
}

/** The output of a Python script run to completion. */
export interface PythonRun {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a Python script with `args`; a non-zero exit rejects with the script's stderr (its
 * traceback) in the message.
 */
export async function runPython(script: string, args: readonly string[], options: { readonly timeoutMs: number }): Promise<PythonRun> {
  try {
    return await run(SYSTEM_PYTHON, [script, ...args], { timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  } catch (err: unknown) {
    const failed = err as { stderr?: string; stdout?: string; code?: number | string; signal?: string };
    throw new Error(`${script} failed (exit ${String(failed.code)}${failed.signal ? `, ${failed.signal}` : ''}):\n${failed.stderr ?? ''}\n${failed.stdout ?? ''}`, { cause: err });
  }
}
