/**
 * Private streams published through the bridge, and who published each. The bridge calls the
 * server with its own token, so to the server every stream the bridge publishes belongs to the
 * bridge: the server lets the bridge list and watch them all. Telling the bridge's users apart
 * is the bridge's job, from this record.
 *
 * Fail closed: a private stream the server lists to the bridge that this record does not know
 * (published with the bridge's token by another process, or one whose source is winding down)
 * is shown to nobody. Without a token file every user is the same `anonymous`, as on the server,
 * and `private` changes nothing.
 */
import { SluiceError } from '../../server/index.js';

/** What the server says of a stream. */
export interface ListedSession {
  readonly name: string;
  readonly private: boolean;
}

/** The publishers of the private streams this bridge published, and who may see and watch what. */
export class PrivateSessions {
  /** False without a token file: nothing is hidden or refused. */
  readonly enforced: boolean;
  readonly #owners = new Map<string, string>();

  constructor(enforced: boolean) {
    this.enforced = enforced;
  }

  /**
   * Records `owner` as the publisher of the private stream `name` until the returned release
   * (idempotent) is called; undefined when a private source of this bridge holds the name.
   * Recorded before the stream reaches the server, so it is never listed without its owner.
   */
  claim(name: string, owner: string): (() => void) | undefined {
    if (!this.enforced) return () => {};
    if (this.#owners.has(name)) return undefined;
    this.#owners.set(name, owner);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#owners.delete(name);
    };
  }

  /** Whether `user` may see a stream the server listed. */
  mayList(session: ListedSession, user: string): boolean {
    return !this.enforced || !session.private || this.#owners.get(session.name) === user;
  }

  /**
   * Whether `user` may watch `name`, given what the server lists under it (undefined: not
   * listed, perhaps not yet published: then only this record can say it is private).
   */
  mayWatch(name: string, listed: ListedSession | undefined, user: string): boolean {
    if (!this.enforced) return true;
    if (listed !== undefined) return this.mayList(listed, user);
    const owner = this.#owners.get(name);
    return owner === undefined || owner === user;
  }

  /**
   * Resolves when `user` may watch `name`, asking the server's list (`list`) what it says of
   * it; rejects with PERMISSION_DENIED when the stream is private to another user.
   */
  async checkWatch(name: string, user: string, list: () => Promise<{ readonly sessions: readonly ListedSession[] }>): Promise<void> {
    if (!this.enforced) return;
    const { sessions } = await list();
    if (!this.mayWatch(name, sessions.find((s) => s.name === name), user)) {
      throw new SluiceError('PERMISSION_DENIED', `the stream ${JSON.stringify(name)} is private to the user who published it`);
    }
  }
}
