/**
 * Worker threads that run one of the benchmark's TypeScript files: tsx is registered inside the
 * worker first, since workers do not inherit the parent's `--import`.
 */
import { Worker } from 'node:worker_threads';

/** Starts a worker thread running the module at `moduleUrl` with `workerData`. */
export function startTsxWorker(moduleUrl: string, workerData: unknown): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(moduleUrl)}); })`;
  return new Worker(source, { eval: true, workerData });
}

/** The worker's next message; rejects if the worker fails first. */
export function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    worker.once('error', onError);
    worker.once('message', (message: T) => {
      worker.off('error', onError);
      resolve(message);
    });
  });
}
