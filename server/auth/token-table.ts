/**
 * The token file: who may call, by name, with which roles. Only SHA-256 digests are kept in
 * memory; presented tokens are hashed and compared in constant time against every entry.
 *
 *   tokens:
 *     - name: camera-fleet
 *       sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
 *       roles: [infer]
 *     - name: ops
 *       token: a-long-random-string-of-at-least-16-characters
 *       roles: [infer, watch, admin]
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { SluiceError } from '../errors.js';
import type { Principal } from './principal.js';
import { ROLES, type Role, isRole } from './roles.js';

/** Shortest token accepted in a token file: shorter ones can be guessed. */
export const MIN_TOKEN_LENGTH = 16;

interface Entry {
  readonly digest: Buffer;
  readonly principal: Principal;
}

function sha256(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function invalid(path: string, message: string): SluiceError {
  return new SluiceError('INVALID_CONFIG', `${path}: ${message}`);
}

function parseEntry(raw: unknown, where: string, path: string): Entry {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(path, `${where} must be a mapping with name, token or sha256, and roles`);
  const { name, token, sha256: digestHex, roles, ...rest } = raw as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw invalid(path, `${where}: ${unknown[0]} is not a field (known: name, token, sha256, roles)`);
  if (typeof name !== 'string' || name.trim() === '') throw invalid(path, `${where}.name must be a non-empty string`);
  if ((token === undefined) === (digestHex === undefined)) throw invalid(path, `${where} (${name}) must have exactly one of token and sha256`);
  let digest: Buffer;
  if (token !== undefined) {
    if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      throw invalid(path, `${where}.token (${name}) must be at least ${MIN_TOKEN_LENGTH} characters with no spaces`);
    }
    digest = sha256(token);
  } else {
    if (typeof digestHex !== 'string' || !/^[0-9a-f]{64}$/i.test(digestHex)) throw invalid(path, `${where}.sha256 (${name}) must be 64 hexadecimal digits`);
    digest = Buffer.from(digestHex, 'hex');
  }
  if (!Array.isArray(roles) || roles.length === 0) throw invalid(path, `${where}.roles (${name}) must be a non-empty list of ${ROLES.join(', ')}`);
  for (const role of roles) {
    if (!isRole(role)) throw invalid(path, `${where}.roles (${name}): ${JSON.stringify(role)} is not a role (known: ${ROLES.join(', ')})`);
  }
  return { digest, principal: Object.freeze({ name, roles: new Set<Role>(roles as Role[]) }) };
}

/** The tokens of one token file, validated. */
export class TokenTable {
  /** The file it was read from. */
  readonly path: string;
  readonly #entries: readonly Entry[];

  private constructor(path: string, entries: readonly Entry[]) {
    this.path = path;
    this.#entries = entries;
  }

  /**
   * Reads and validates a token file (YAML or JSON). Every problem is an INVALID_CONFIG error
   * naming the file and the entry; the error never contains a token.
   */
  static async load(path: string): Promise<TokenTable> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err: unknown) {
      throw invalid(path, `cannot read the token file: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
    return TokenTable.parse(text, path);
  }

  /** Validates a token file's contents; `path` names it in errors. */
  static parse(text: string, path: string): TokenTable {
    const document = parseDocument(text);
    // YAML's error text quotes the offending line, which may hold a token: name the line only.
    if (document.errors.length > 0) throw invalid(path, `not valid YAML or JSON (line ${document.errors[0]?.linePos?.[0].line ?? '?'})`);
    const root: unknown = document.toJS();
    const list = root !== null && typeof root === 'object' && !Array.isArray(root) ? (root as Record<string, unknown>)['tokens'] : undefined;
    if (!Array.isArray(list) || list.length === 0) throw invalid(path, 'must have a non-empty list under `tokens`');
    const entries = list.map((raw, i) => parseEntry(raw, `tokens[${i}]`, path));
    const names = new Set<string>();
    const digests = new Set<string>();
    for (const entry of entries) {
      if (names.has(entry.principal.name)) throw invalid(path, `the name ${JSON.stringify(entry.principal.name)} is used twice`);
      names.add(entry.principal.name);
      const hex = entry.digest.toString('hex');
      if (digests.has(hex)) throw invalid(path, `${entry.principal.name}: the same token is listed twice`);
      digests.add(hex);
    }
    return new TokenTable(path, entries);
  }

  /** Number of tokens. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * The principal a token belongs to, or undefined. Every entry is compared, matched or not, so
   * the time taken says nothing about which entry (or how much of one) matched.
   */
  identify(token: string): Principal | undefined {
    const digest = sha256(token);
    let found: Principal | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(digest, entry.digest) && found === undefined) found = entry.principal;
    }
    return found;
  }
}
