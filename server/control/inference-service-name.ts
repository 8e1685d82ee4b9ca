/**
 * The names the gRPC health service reports under: the whole inference API, and each model on
 * its own, so that a probe can wait for one model as well as for the server.
 */

/** Health service name of the whole inference API. */
export const INFERENCE_SERVICE_NAME = 'sluice.v1.InferenceService';

/** Health service name of one model: `sluice.v1.InferenceService/<model>`. */
export const modelHealthName = (model: string): string => `${INFERENCE_SERVICE_NAME}/${model}`;
