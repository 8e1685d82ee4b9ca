/**
 * An onnxruntime session opened the way the server's workers open theirs
 * (`server/worker/model-runner.ts`): spinning off, one inter-op thread, sequential execution, every
 * graph optimisation, and the given intra-op threads. The raw baselines use it so that they differ
 * from the server only in what surrounds `session.run()`.
 */
import * as ort from 'onnxruntime-node';

/** Opens `modelPath` with the server's session options. */
export function openServerSession(modelPath: string, intraOpThreads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
}
