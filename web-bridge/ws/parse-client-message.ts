/**
 * Checks a client's text message against the protocol: a typed message, or the error to answer.
 */
import { type ClientMessage, type EvaluateMessage, MAX_EVALUATE_IMAGES, type WsErrorCode } from '../protocol/messages.js';

/** Limits the checks need. */
export interface MessageLimits {
  readonly maxWindow: number;
}

export type ParsedMessage = { readonly ok: true; readonly message: ClientMessage } | { readonly ok: false; readonly code: WsErrorCode; readonly message: string };

/** Session names: what a log line or a URL can hold without escaping. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function bad(message: string): ParsedMessage {
  return { ok: false, code: 'BAD_MESSAGE', message };
}

function optionalInteger(body: Record<string, unknown>, field: string, min: number, max: number): number | string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return `${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`;
  }
  return value;
}

/**
 * An `evaluate`: a model, and either a dataset with paths or an upload count. The window is
 * capped at `maxWindow` rather than refused: a page cannot know the bridge's limit. Whether the
 * dataset and its paths exist is for the socket, which has the catalogue.
 */
function parseEvaluate(fields: Record<string, unknown>, limits: MessageLimits): ParsedMessage {
  const model = fields['model'];
  if (typeof model !== 'string' || model === '') return bad(`evaluate.model must name a model, got ${JSON.stringify(model)}`);
  const window = optionalInteger(fields, 'window', 1, 2 ** 31 - 1);
  if (typeof window === 'string') return bad(`evaluate.${window}`);
  const capped = window === undefined ? {} : { window: Math.min(window, limits.maxWindow) };
  const { dataset, paths, upload } = fields;
  let message: EvaluateMessage;
  if (upload !== undefined) {
    if (dataset !== undefined || paths !== undefined) return bad('evaluate takes either dataset and paths, or upload, not both');
    if (typeof upload !== 'number' || !Number.isInteger(upload) || upload < 0 || upload > MAX_EVALUATE_IMAGES) {
      return bad(`evaluate.upload must be the number of images that follow, an integer from 0 to ${MAX_EVALUATE_IMAGES}, got ${JSON.stringify(upload)}`);
    }
    message = { type: 'evaluate', model, upload, ...capped };
  } else {
    if (typeof dataset !== 'string' || dataset === '') return bad(`evaluate.dataset must name a dataset (or give upload), got ${JSON.stringify(dataset)}`);
    if (!Array.isArray(paths)) return bad(`evaluate.paths must be a list of the dataset's image paths, got ${JSON.stringify(paths)}`);
    if (paths.length > MAX_EVALUATE_IMAGES) return bad(`evaluate.paths has ${paths.length} paths; an evaluation takes at most ${MAX_EVALUATE_IMAGES}`);
    const wrong = paths.findIndex((path: unknown) => typeof path !== 'string' || path === '');
    if (wrong >= 0) return bad(`evaluate.paths[${wrong}] must be an image path, got ${JSON.stringify(paths[wrong] as unknown)}`);
    message = { type: 'evaluate', model, dataset, paths: paths as string[], ...capped };
  }
  return { ok: true, message };
}

export function parseClientMessage(text: string, limits: MessageLimits): ParsedMessage {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, code: 'BAD_JSON', message: 'text messages must be JSON objects; this one is not valid JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, code: 'BAD_JSON', message: 'text messages must be JSON objects' };
  }
  const fields = body as Record<string, unknown>;
  const type = fields['type'];
  switch (type) {
    case 'stop':
      return { ok: true, message: { type } };
    case 'watch': {
      const session = fields['session'];
      if (typeof session !== 'string' || !NAME_PATTERN.test(session)) return bad(`watch.session must be a published stream's name, got ${JSON.stringify(session)}`);
      const maxWidth = optionalInteger(fields, 'maxWidth', 16, 8192);
      if (typeof maxWidth === 'string') return bad(`watch.${maxWidth}`);
      return { ok: true, message: maxWidth === undefined ? { type, session } : { type, session, maxWidth } };
    }
    case 'source': {
      const model = fields['model'];
      if (typeof model !== 'string' || model === '') return bad(`source.model must name a model, got ${JSON.stringify(model)}`);
      const window = optionalInteger(fields, 'window', 1, limits.maxWindow);
      if (typeof window === 'string') return bad(`source.${window}`);
      const itemTimeoutMs = optionalInteger(fields, 'itemTimeoutMs', 0, 3_600_000);
      if (typeof itemTimeoutMs === 'string') return bad(`source.${itemTimeoutMs}`);
      const publish = fields['publish'];
      if (publish !== undefined && (typeof publish !== 'string' || !NAME_PATTERN.test(publish))) {
        return bad(`source.publish must be 1 to 128 letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(publish)}`);
      }
      const isPrivate = fields['private'];
      if (isPrivate !== undefined && typeof isPrivate !== 'boolean') return bad(`source.private must be true or false, got ${JSON.stringify(isPrivate)}`);
      return {
        ok: true,
        message: {
          type,
          model,
          ...(window === undefined ? {} : { window }),
          ...(itemTimeoutMs === undefined ? {} : { itemTimeoutMs }),
          ...(publish === undefined ? {} : { publish: publish as string }),
          ...(isPrivate === true ? { private: true } : {}),
        },
      };
    }
    case 'evaluate':
      return parseEvaluate(fields, limits);
    default:
      return {
        ok: false,
        code: 'UNKNOWN_TYPE',
        message: typeof type === 'string' ? `unknown message type ${JSON.stringify(type)}; expected watch, source, evaluate or stop` : 'a message needs a string "type": watch, source, evaluate or stop',
      };
  }
}
