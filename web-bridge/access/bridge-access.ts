/**
 * Who may use the bridge. The server's `Authorizer` decides, from the bridge's own token file in
 * the server's format, so that one implementation reads tokens and roles everywhere. The bridge
 * adds one requirement of its own: `view`, met by either `infer` or `watch`.
 */
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Authorizer, type Principal, type Role, SluiceError, bearerToken } from '../../server/index.js';
import { BridgeConfigError } from '../bridge-config-error.js';
import { readTokenCookie } from './token-cookie.js';

/** What a request or a socket message needs: a role, or `view` (infer or watch: the page, models, the socket). */
export type BridgeNeed = Role | 'view';

/** What a caller presents. */
export interface Credentials {
  /** From `Authorization: Bearer`, else from the token cookie; undefined when neither. */
  readonly token: string | undefined;
  /** The TCP peer's address ('' when unknown). */
  readonly peer: string;
}

/** The credentials of an HTTP request (an upgrade included). */
export function requestCredentials(request: FastifyRequest): Credentials {
  const headers = request.headers;
  const cookie = headers.cookie;
  return {
    token: bearerToken(headers.authorization) ?? readTokenCookie(Array.isArray(cookie) ? cookie.join('; ') : cookie),
    // Requests made in-process (inject, injectWS) have no socket.
    peer: (request.raw.socket as FastifyRequest['raw']['socket'] | undefined)?.remoteAddress ?? '',
  };
}

/** The bridge's users, from its token file, and what each may do. */
export class BridgeAccess {
  readonly #authorizer: Authorizer;

  private constructor(authorizer: Authorizer) {
    this.#authorizer = authorizer;
  }

  /** Loads `tokenFile` ('' for none: everyone may use the bridge); an invalid file names `options.tokenFile`. */
  static async create(tokenFile: string, logger: Logger): Promise<BridgeAccess> {
    try {
      return new BridgeAccess(await Authorizer.create({ tokenFile, logger }));
    } catch (err: unknown) {
      if (err instanceof SluiceError && err.code === 'INVALID_CONFIG') throw new BridgeConfigError('options.tokenFile', err.message);
      throw err;
    }
  }

  /** Whether the bridge takes tokens; without them, every user is the same `anonymous`. */
  get requiresTokens(): boolean {
    return this.#authorizer.requiresTokens;
  }

  /** Rereads the token file; an invalid one rejects and leaves the tokens in force. */
  reload(): Promise<void> {
    return this.#authorizer.reload();
  }

  /**
   * The caller if it may do `what`; otherwise throws a `SluiceError` with code UNAUTHENTICATED
   * (no or unknown token) or PERMISSION_DENIED (a role is missing). Messages never hold a token.
   */
  require(need: BridgeNeed, what: string, credentials: Credentials): Principal {
    let principal: Principal;
    try {
      principal = this.#authorizer.require(need === 'view' ? 'authenticated' : need, what, credentials.token, credentials.peer);
    } catch (err: unknown) {
      // The server's wording speaks of gRPC metadata; a browser user needs the bridge's ways in.
      if (err instanceof SluiceError && err.code === 'UNAUTHENTICATED' && credentials.token === undefined) {
        throw new SluiceError('UNAUTHENTICATED', 'this bridge requires a token: open the viewer once with ?token=<token>, or send the header `Authorization: Bearer <token>`');
      }
      throw err;
    }
    if (need !== 'view' || principal.roles.has('infer') || principal.roles.has('watch')) return principal;
    throw new SluiceError('PERMISSION_DENIED', `${what} needs the infer or watch role, which ${JSON.stringify(principal.name)} does not have`);
  }
}
