import { SluiceError } from '../../errors.js';
import type { Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import { checkItemTensor, type OutputTensor } from './output-tensor.js';

/**
 * Greedy CTC decoding of a `[1, T, classes]` output of per-step probabilities: take the best class
 * at each step, collapse repeats, drop the blank (class 0). Class `i` is `labels[i - 1]`; when the
 * model has one class more than `labels` + blank, that last class is a space (PP-OCR's
 * `use_space_char`). `textScore` is the mean probability of the characters kept, 0 for no text.
 * A class count that fits neither layout means the labels belong to another model: INTERNAL.
 */
export function decodeCtc(tensor: OutputTensor, labels: readonly string[]): Partial<Prediction> {
  const [, steps, classes] = checkItemTensor(tensor, 3, 'ctc_decode expects [1, steps, classes]') as [number, number, number];
  const space = labels.length + 1;
  if (classes !== labels.length + 1 && classes !== labels.length + 2) {
    throw new SluiceError(
      'INTERNAL',
      `ctc_decode: output has ${classes} classes but there are ${labels.length} labels (expected ${labels.length + 1} or ${labels.length + 2} classes)`,
    );
  }

  const data = tensor.data;
  const chars: string[] = [];
  let scoreSum = 0;
  let previous = 0;
  for (let t = 0, base = 0; t < steps; t++, base += classes) {
    let best = 0;
    let bestValue = data[base];
    for (let c = 1; c < classes; c++) {
      if (data[base + c] > bestValue) {
        bestValue = data[base + c];
        best = c;
      }
    }
    // A blank between two equal classes is what lets CTC spell double letters.
    if (best !== 0 && best !== previous) {
      chars.push(best === space ? ' ' : labels[best - 1]);
      scoreSum += bestValue;
    }
    previous = best;
  }
  return { text: chars.join(''), textScore: chars.length === 0 ? 0 : scoreSum / chars.length };
}
