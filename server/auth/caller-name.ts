/**
 * Who makes a call, by name: the owner of the streams it publishes.
 */
import type { Metadata } from '@grpc/grpc-js';
import type { Authorizer } from './authorizer.js';
import { bearerToken } from './bearer-token.js';

/** The caller's name (its token's name, `anonymous` without tokens); '' when the token is unknown. */
export function callerName(authorizer: Authorizer, call: { readonly metadata: Metadata; getPeer(): string }): string {
  return authorizer.identify(bearerToken(call.metadata.get('authorization')[0]), call.getPeer())?.name ?? '';
}
