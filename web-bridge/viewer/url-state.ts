/**
 * The viewer's address as its state, so that a reload or a shared link shows the same thing:
 * `session` (the published stream watched, or waited for), `model` and `source` (the sending
 * controls' choice), and `autostart` (send from the synthetic source as soon as the page opens).
 * Read once on load; rewritten with `history.replaceState` as the user changes them, which neither
 * reloads the page nor fills the back button's history with every change.
 */

/** Where the browser's frames come from, as the source picker and `?source=` name it. */
export type SourceKind = 'synthetic' | 'camera' | 'file';

/** Every `SourceKind`, in the order the source picker lists them. */
export const SOURCE_KINDS: readonly SourceKind[] = ['synthetic', 'camera', 'file'];

/** The parameters the viewer reads and writes; others in the address are left as they are. */
export type UrlParameter = 'session' | 'model' | 'source' | 'autostart';

/** What the address asks of the page. */
export interface UrlState {
  /** Watch this published stream, at once or as soon as it is published. */
  readonly session: string | undefined;
  /** Preselect this model for sending. */
  readonly model: string | undefined;
  /** Preselect this source for sending. */
  readonly source: SourceKind | undefined;
  /**
   * Start sending at once. Honoured for the synthetic source only: a camera prompt or a file
   * picker should follow a click, not the opening of a link. `session` wins over it.
   */
  readonly autostart: boolean;
  /** Parameters that were given but cannot be honoured, said for the status line. */
  readonly problems: readonly string[];
}

function isSourceKind(value: string): value is SourceKind {
  return (SOURCE_KINDS as readonly string[]).includes(value);
}

/** Reads `location.search` (or any query string): empty values count as absent. */
export function readUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const text = (name: UrlParameter): string | undefined => {
    const value = params.get(name)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const problems: string[] = [];
  const sourceText = text('source');
  let source: SourceKind | undefined;
  if (sourceText !== undefined) {
    if (isSourceKind(sourceText)) source = sourceText;
    else problems.push(`source=${sourceText} is not one of ${SOURCE_KINDS.join(', ')}`);
  }
  const autostartText = params.get('autostart');
  // `?autostart` alone means yes; only an explicit 0 or false means no.
  const autostart = autostartText !== null && autostartText !== '0' && autostartText.toLowerCase() !== 'false';
  return { session: text('session'), model: text('model'), source, autostart, problems };
}

/** `href` with `changes` made: a string sets a parameter, undefined removes it. */
export function withUrlState(href: string, changes: Partial<Record<UrlParameter, string | undefined>>): string {
  const url = new URL(href);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  return url.href;
}

/** What `replaceUrlState` needs of `window`, named here so that this file also loads outside a browser (in unit tests). */
export interface AddressBar {
  readonly location: { readonly href: string };
  readonly history: { readonly state: unknown; replaceState(data: unknown, unused: string, url: string): void };
}

/** Rewrites the page's address in place (no reload, no new history entry) when it changes. */
export function replaceUrlState(bar: AddressBar, changes: Partial<Record<UrlParameter, string | undefined>>): void {
  const next = withUrlState(bar.location.href, changes);
  if (next !== bar.location.href) bar.history.replaceState(bar.history.state, '', next);
}
