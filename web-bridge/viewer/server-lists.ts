/**
 * Keeps the model and session pickers filled from the bridge's `/api/models` (once, retried until
 * it answers) and `/api/sessions` (every two seconds).
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

export interface ServerListElements {
  readonly modelSelect: HTMLSelectElement;
  readonly sessionSelect: HTMLSelectElement;
  readonly sessionsHint: HTMLElement;
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

export class ServerLists {
  readonly #el: ServerListElements;

  constructor(elements: ServerListElements) {
    this.#el = elements;
    void this.#loadModels();
    void this.#pollSessions();
  }

  async #loadModels(): Promise<void> {
    try {
      const { models = [] } = await getJson<{ models?: ModelJson[] }>('/api/models');
      const usable = models.filter((m) => m.acceptsImages === true && m.state !== 'MODEL_STATE_UNAVAILABLE' && m.name !== undefined);
      const select = this.#el.modelSelect;
      const previous = select.value;
      select.replaceChildren(...usable.map((m) => option(m.name ?? '', m.name ?? '')));
      for (const [i, m] of usable.entries()) select.options[i]?.setAttribute('title', m.description ?? '');
      const wanted = usable.some((m) => m.name === previous) ? previous : usable.some((m) => m.name === PREFERRED_MODEL) ? PREFERRED_MODEL : usable[0]?.name;
      if (wanted !== undefined) select.value = wanted;
    } catch {
      setTimeout(() => void this.#loadModels(), MODELS_RETRY_MS);
    }
  }

  async #pollSessions(): Promise<void> {
    const select = this.#el.sessionSelect;
    try {
      const { sessions = [] } = await getJson<{ sessions?: SessionJson[] }>('/api/sessions');
      const previous = select.value;
      const options = sessions
        .filter((s) => s.name !== undefined)
        .map((s) => option(s.name ?? '', `${s.name ?? ''}${s.private === true ? ' (private)' : ''} · ${s.model ?? '?'} · ${s.items ?? 0} items, ${s.dropped ?? 0} dropped, ${s.watchers ?? 0} watching`));
      select.replaceChildren(...(options.length > 0 ? options : [option('', 'no published streams', true)]));
      if (sessions.some((s) => s.name === previous)) select.value = previous;
      this.#el.sessionsHint.textContent = '';
    } catch (err: unknown) {
      this.#el.sessionsHint.textContent = `sessions unavailable: ${err instanceof Error ? err.message : String(err)}`;
    }
    setTimeout(() => void this.#pollSessions(), SESSIONS_EVERY_MS);
  }
}
