/**
 * Decides who may call what. With a token file, every call must carry a known token whose roles
 * allow the method. Without one, every caller is `anonymous` with the `infer` and `watch` roles,
 * and `admin` only from loopback: the server then binds loopback unless the operator says
 * otherwise, and even then nobody on the network can load or unload models.
 */
import type { Logger } from 'pino';
import { SluiceError } from '../errors.js';
import { isLoopbackPeer } from './is-loopback.js';
import type { Principal } from './principal.js';
import { type Requirement, requirementOf } from './roles.js';
import { TokenTable } from './token-table.js';

/** Options of `Authorizer.create`. */
export interface AuthorizerOptions {
  /** Token file; '' or absent: no tokens (loopback-only admin). */
  readonly tokenFile?: string;
  readonly logger: Logger;
}

const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', roles: new Set(['infer', 'watch'] as const) });
const ANONYMOUS_LOOPBACK: Principal = Object.freeze({ name: 'anonymous', roles: new Set(['infer', 'watch', 'admin'] as const) });

function methodName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export class Authorizer {
  readonly #tokenFile: string;
  readonly #logger: Logger;
  #table: TokenTable | undefined;

  private constructor(tokenFile: string, table: TokenTable | undefined, logger: Logger) {
    this.#tokenFile = tokenFile;
    this.#table = table;
    this.#logger = logger;
  }

  /** Loads the token file, if any; an invalid file is an INVALID_CONFIG error naming it. */
  static async create(options: AuthorizerOptions): Promise<Authorizer> {
    const tokenFile = options.tokenFile ?? '';
    const table = tokenFile === '' ? undefined : await TokenTable.load(tokenFile);
    const logger = options.logger.child({ component: 'auth' });
    if (table !== undefined) logger.info({ tokenFile, tokens: table.size }, 'tokens loaded');
    return new Authorizer(tokenFile, table, logger);
  }

  /** Whether calls need tokens. */
  get requiresTokens(): boolean {
    return this.#table !== undefined;
  }

  /**
   * Rereads the token file. An invalid file leaves the tokens in force unchanged and rejects
   * with the reason; callers log it. Without a token file there is nothing to reread.
   */
  async reload(): Promise<void> {
    if (this.#tokenFile === '') return;
    this.#table = await TokenTable.load(this.#tokenFile);
    this.#logger.info({ tokenFile: this.#tokenFile, tokens: this.#table.size }, 'tokens reloaded');
  }

  /** The caller a token (undefined: none presented) and peer address stand for, or undefined for an unknown token. */
  identify(token: string | undefined, peer: string): Principal | undefined {
    if (this.#table === undefined) return isLoopbackPeer(peer) ? ANONYMOUS_LOOPBACK : ANONYMOUS;
    return token === undefined ? undefined : this.#table.identify(token);
  }

  /**
   * The caller of `path` if it may call it; otherwise throws UNAUTHENTICATED (no or unknown
   * token) or PERMISSION_DENIED (a role is missing). Messages never contain the token.
   */
  authorize(path: string, token: string | undefined, peer: string): Principal {
    return this.#check(requirementOf(path), methodName(path), token, peer);
  }

  /** Like `authorize`, for a role rather than a method (the web bridge's own routes). */
  require(role: Requirement, what: string, token: string | undefined, peer: string): Principal {
    return this.#check(role, what, token, peer);
  }

  #check(required: Requirement, what: string, token: string | undefined, peer: string): Principal {
    const principal = this.identify(token, peer);
    if (principal === undefined) {
      this.#logger.info({ peer, call: what, presented: token !== undefined }, 'refused: unauthenticated');
      throw new SluiceError(
        'UNAUTHENTICATED',
        token === undefined ? 'this server requires a token: send the metadata `authorization: Bearer <token>`' : 'the token is not valid',
      );
    }
    if (required === 'authenticated' || principal.roles.has(required)) return principal;
    this.#logger.info({ peer, call: what, principal: principal.name, required }, 'refused: role missing');
    if (this.#table === undefined) {
      throw new SluiceError('PERMISSION_DENIED', `${what} is accepted only from loopback when the server has no token file (--token-file)`);
    }
    throw new SluiceError('PERMISSION_DENIED', `${what} needs the ${required} role, which ${JSON.stringify(principal.name)} does not have`);
  }
}
