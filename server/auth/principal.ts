/**
 * The caller a request was made by, as the authorizer established it.
 */
import type { Role } from './roles.js';

/** An authenticated caller: a token's name and roles, or the anonymous caller when no tokens are configured. */
export interface Principal {
  /** The token's name from the token file (never the token); `anonymous` without a token file. */
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
}
