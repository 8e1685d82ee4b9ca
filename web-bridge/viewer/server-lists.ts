/**
 * Keeps the model and session pickers filled from the bridge's `/api/models` (once, retried until
 * it answers, and again when asked) and `/api/sessions` (every two seconds), and tells the page
 * what each list holds.
 */

interface ModelJson {
  readonly name?: string;
  readonly state?: string;
  readonly acceptsImages?: boolean;
  readonly description?: string;
}

interface SessionJson {
  readonly name?: string;
  readonly model?: string;
  readonly items?: number;
  readonly dropped?: number;
  readonly watchers?: number;
  readonly private?: boolean;
}

/** The pickers the lists fill, and the line that says when sessions cannot be listed. */
export interface ServerListElements {
  readonly modelSelect: HTMLSelectElement;
  readonly sessionSelect: HTMLSelectElement;
  readonly sessionsHint: HTMLElement;
}

/** Options of `ServerLists`. */
export interface ServerListOptions {
  /** Model to select first when it is served (the address's `model`); else `ocr`, else the first. */
  readonly preferredModel?: string | undefined;
  /** Called once, with the image models listed, after the model picker is filled. */
  readonly onModels?: (names: readonly string[]) => void;
  /** Called after every successful poll, with the sessions listed. */
  readonly onSessions?: (names: readonly string[]) => void;
}

const SESSIONS_EVERY_MS = 2000;
const MODELS_RETRY_MS = 3000;
const PREFERRED_MODEL = 'ocr';

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { cache: 'no-store' });
  const body = (await response.json()) as T & { error?: { message?: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `${path} answered ${response.status}`);
  return body;
}

function option(value: string, text: string, disabled = false): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  o.disabled = disabled;
  return o;
}

/** Polls the bridge's lists for as long as the page is open. */
export class ServerLists {
  readonly #el: ServerListElements;
  readonly #options: ServerListOptions;

  constructor(elements: ServerListElements, options: ServerListOptions = {}) {
    this.#el = elements;
    this.#options = options;
    void this.#loadModels();
    void this.#pollSessions();
  }

  /**
   * Lists the models again (after an upload, say) and selects `select` when it is an image model,
   * else keeps the choice; resolves with the image models listed. Rejects when the bridge cannot
   * list them; `onModels` is not called again.
   */
  refreshModels(select?: string): Promise<readonly string[]> {
    return this.#fillModels(select);
  }

  async #loadModels(): Promise<void> {
    try {
      this.#options.onModels?.(await this.#fillModels(undefined));
    } catch {
      setTimeout(() => void this.#loadModels(), MODELS_RETRY_MS);
    }
  }

  async #fillModels(select: string | undefined): Promise<readonly string[]> {
    const { models = [] } = await getJson<{ models?: ModelJson[] }>('/api/models');
    const usable = models.filter((m) => m.acceptsImages === true && m.state !== 'MODEL_STATE_UNAVAILABLE' && m.name !== undefined);
    const picker = this.#el.modelSelect;
    const previous = picker.value;
    picker.replaceChildren(...usable.map((m) => option(m.name ?? '', m.name ?? '')));
    for (const [i, m] of usable.entries()) picker.options[i]?.setAttribute('title', m.description ?? '');
    const names = usable.map((m) => m.name ?? '');
    const wanted = [select, previous, this.#options.preferredModel, PREFERRED_MODEL].find((name) => name !== undefined && names.includes(name)) ?? names[0];
    if (wanted !== undefined) picker.value = wanted;
    return names;
  }

  async #pollSessions(): Promise<void> {
    const select = this.#el.sessionSelect;
    try {
      const { sessions = [] } = await getJson<{ sessions?: SessionJson[] }>('/api/sessions');
      const previous = select.value;
      const listed = sessions.filter((s) => s.name !== undefined);
      const options = listed.map((s) => option(s.name ?? '', `${s.name ?? ''}${s.private === true ? ' (private)' : ''} · ${s.model ?? '?'} · ${s.items ?? 0} items, ${s.dropped ?? 0} dropped, ${s.watchers ?? 0} watching`));
      const none = option('', 'no published streams', true);
      // Selected although disabled, so that the picker says so instead of showing blank.
      none.selected = true;
      select.replaceChildren(...(options.length > 0 ? options : [none]));
      if (sessions.some((s) => s.name === previous)) select.value = previous;
      this.#el.sessionsHint.textContent = '';
      this.#options.onSessions?.(listed.map((s) => s.name ?? ''));
    } catch (err: unknown) {
      this.#el.sessionsHint.textContent = `sessions unavailable: ${err instanceof Error ? err.message : String(err)}`;
    }
    setTimeout(() => void this.#pollSessions(), SESSIONS_EVERY_MS);
  }
}
