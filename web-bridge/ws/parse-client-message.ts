/**
 * Checks a client's text message against the protocol: a typed message, or the error to answer.
 */
import type { ClientMessage, WsErrorCode } from '../protocol/messages.js';

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
    default:
      return {
        ok: false,
        code: 'UNKNOWN_TYPE',
        message: typeof type === 'string' ? `unknown message type ${JSON.stringify(type)}; expected watch, source or stop` : 'a message needs a string "type": watch, source or stop',
      };
  }
}
