/**
 * A model's configuration in Triton's terms, for `ModelConfig`: what perf_analyzer and Triton's
 * clients read to build requests (batch size, input and output names, types and dims) and to
 * know the server batches requests (`dynamic_batching`).
 */
import type { ModelMetadataResponse_TensorMetadata as TensorMetadata } from '../../gen/ts/inference/grpc_service.js';
import { type ModelConfig, ModelInput_Format } from '../../gen/ts/inference/model_config.js';
import type { LoadedModel } from '../repository/load-model.js';
import { kserveSignature } from './kserve-signature.js';
import { configTypeOf } from './tensor-datatype.js';

/** The configuration of `model`. */
export function kserveModelConfig(model: LoadedModel): ModelConfig {
  const signature = kserveSignature(model);
  // Triton's dims leave out the batch dimension when the model takes one.
  const dims = (t: TensorMetadata): bigint[] => (signature.maxBatchSize > 0 ? t.shape.slice(1) : [...t.shape]);
  const batching = model.config.dynamicBatching;
  return {
    name: model.name,
    platform: signature.platform,
    backend: signature.platform === 'ensemble' ? '' : 'onnxruntime',
    maxBatchSize: signature.maxBatchSize,
    input: signature.inputs.map((t) => ({ name: t.name, dataType: configTypeOf(t.datatype), format: ModelInput_Format.FORMAT_NONE, dims: dims(t), optional: false })),
    output: signature.outputs.map((t) => ({ name: t.name, dataType: configTypeOf(t.datatype), dims: dims(t), labelFilename: '' })),
    schedulingChoice: signature.batches
      ? {
          $case: 'dynamicBatching',
          value: {
            preferredBatchSize: [...(batching?.preferredBatchSize ?? [])],
            maxQueueDelayMicroseconds: BigInt(batching?.maxQueueDelayUs ?? 0),
            // Each stream's answers keep its order, but the batcher itself does not promise one.
            preserveOrdering: false,
          },
        }
      : undefined,
  };
}
