/**
 * Glob patterns for image sets, without a dependency: `*` and `?` within a path segment, `**` for
 * any number of segments, `[abc]` classes and `{png,jpg}` alternatives.
 */

const GLOB_CHARS = /[*?[{]/;

/** True when `text` contains glob syntax. */
export function isGlob(text: string): boolean {
  return GLOB_CHARS.test(text);
}

/**
 * Splits a pattern into the folder to walk (the segments before the first one with glob syntax)
 * and the pattern relative to it: `data/*\/img_*.png` -> `data` and `*\/img_*.png`.
 */
export function splitGlob(pattern: string): { readonly base: string; readonly relative: string } {
  const segments = pattern.split('/');
  const first = segments.findIndex((s) => isGlob(s));
  if (first === -1) return { base: segments.slice(0, -1).join('/') || '.', relative: segments.at(-1) ?? '' };
  const baseSegments = segments.slice(0, first);
  const base = baseSegments.length === 0 ? '.' : baseSegments.join('/') || '/';
  return { base, relative: segments.slice(first).join('/') };
}

/** A RegExp matching whole relative paths (with `/` separators) against `pattern`. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  let inClass = false;
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (inClass) {
      if (c === ']') inClass = false;
      source += c === '\\' ? '\\\\' : c;
      continue;
    }
    switch (c) {
      case '*':
        if (pattern[i + 1] === '*') {
          // `**/` matches zero or more whole segments; a trailing `**` matches the rest.
          if (pattern[i + 2] === '/') {
            source += '(?:[^/]*/)*';
            i += 2;
          } else {
            source += '.*';
            i += 1;
          }
        } else {
          source += '[^/]*';
        }
        break;
      case '?':
        source += '[^/]';
        break;
      case '[':
        inClass = true;
        source += '[';
        if (pattern[i + 1] === '!') {
          source += '^';
          i++;
        }
        break;
      case '{':
        braces++;
        source += '(?:';
        break;
      case '}':
        if (braces > 0) {
          braces--;
          source += ')';
        } else source += '\\}';
        break;
      case ',':
        source += braces > 0 ? '|' : ',';
        break;
      default:
        source += c.replace(/[.+^$()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
