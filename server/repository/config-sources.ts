/**
 * Where each value of a served model's configuration came from: its model.yaml, the ONNX file,
 * Sluice's inference from the file's shapes, or a setting given at start-up. `GetModel` returns
 * the list, so that a user can see what was guessed and why before relying on it.
 */
import { ConfigOrigin, type ConfigSource } from '../../gen/ts/sluice/v1/inference_service.js';

/** Collects the sources of one configuration; a field recorded twice keeps the later origin. */
export class ConfigSources {
  readonly #byField = new Map<string, ConfigSource>();

  /** Records that `field` (snake_case path, e.g. `preprocessing.width`) came from `origin`. */
  set(field: string, origin: ConfigOrigin, reason = ''): void {
    this.#byField.set(field, { field, origin, reason });
  }

  /** Records every field of a model.yaml document (see `writtenFields`). */
  setWritten(fields: Iterable<string>): void {
    for (const field of fields) this.set(field, ConfigOrigin.CONFIG_ORIGIN_MODEL_YAML);
  }

  /** Whether `field`, or a field under it, was recorded from model.yaml. */
  written(field: string): boolean {
    for (const source of this.#byField.values()) {
      if (source.origin !== ConfigOrigin.CONFIG_ORIGIN_MODEL_YAML) continue;
      if (source.field === field || source.field.startsWith(`${field}.`)) return true;
    }
    return false;
  }

  /** The sources, sorted by field. */
  list(): ConfigSource[] {
    return [...this.#byField.values()].sort((a, b) => a.field.localeCompare(b.field));
  }
}

/**
 * The field paths a proto3 JSON document sets, in snake_case: `{ preprocessing: { width: 32 } }`
 * gives `preprocessing.width`. Lists and the tensor specs are leaves (`inputs`, `labels`); a
 * postprocessor is named by its kind (`postprocessor.detection.score_threshold`).
 */
export function writtenFields(document: unknown, prefix = ''): string[] {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return prefix === '' ? [] : [prefix];
  const entries = Object.entries(document as Record<string, unknown>);
  if (entries.length === 0) return prefix === '' ? [] : [prefix];
  return entries.flatMap(([key, value]) => writtenFields(value, prefix === '' ? snakeCase(key) : `${prefix}.${snakeCase(key)}`));
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
