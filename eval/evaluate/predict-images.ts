/**
 * Sends images to a model over one `Predict` stream and collects the predictions.
 */
import { type Prediction, type SluiceClient, imageRequest } from '../../client/index.js';

/** An encoded image and the id its response comes back with. */
export interface ImageItem {
  readonly id: string;
  readonly data: Buffer;
}

/** Items kept in flight: enough for every worker to have a batch waiting. */
const WINDOW = 64;

/** The predictions of `model` for `items`, in item order. Any item error rejects. */
export async function predictImages(client: SluiceClient, model: string, items: readonly ImageItem[], signal?: AbortSignal): Promise<Prediction[]> {
  const byId = new Map<string, Prediction>();
  const requests = items.map((item) => imageRequest(model, item.data, item.id));
  for await (const response of client.predictStream(requests, { signal, streamOptions: { maxInFlight: WINDOW } })) {
    const { result } = response;
    if (result?.$case !== 'prediction') {
      const why = result?.$case === 'error' ? `code ${result.value.code}: ${result.value.message}` : (result?.$case ?? 'no result');
      throw new Error(`${model} did not answer ${response.id}: ${why}`);
    }
    byId.set(response.id, result.value);
  }
  return items.map((item) => {
    const prediction = byId.get(item.id);
    if (prediction === undefined) throw new Error(`${model} never answered ${item.id}`);
    return prediction;
  });
}
