/**
 * Parsers for command-line values. Each throws a `CliError` that names the option and shows what
 * was given, so that a typo is explained in one line.
 */
import type { Size } from '../sources/frame.js';
import { CliError } from './cli-context.js';

/** An integer from `min` to `max`. */
export function parseInteger(option: string, text: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\s*-?\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw new CliError(`${option} must be an integer ${range}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** A number in [min, max]. */
export function parseNumber(option: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new CliError(`${option} must be a number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** `WIDTHxHEIGHT` (stretched to exactly that) or `WIDTH` (height follows the aspect ratio). */
export function parseSize(option: string, text: string): Size {
  const match = /^(\d+)(?:x(\d+))?$/.exec(text.trim());
  const width = Number(match?.[1]);
  const height = match?.[2] === undefined ? 0 : Number(match[2]);
  if (match === null || width < 1 || width > 16384 || height > 16384 || (match[2] !== undefined && height < 1)) {
    throw new CliError(`${option} must be WIDTHxHEIGHT or WIDTH (keeping the aspect ratio), e.g. 640x360, got ${JSON.stringify(text)}`);
  }
  return { width, height };
}

/** One of `choices`. */
export function parseChoice<T extends string>(option: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new CliError(`${option} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text as T;
}

/** Pacing: a rate in frames per second, `source` (the source's own rate) or `max` (no pacing). */
export type FpsOption = number | 'source' | 'max';

export function parseFps(option: string, text: string): FpsOption {
  if (text === 'source' || text === 'max') return text;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > 10_000) {
    throw new CliError(`${option} must be a rate above 0 (frames per second), "source" or "max", got ${JSON.stringify(text)}`);
  }
  return value;
}
