/**
 * What NATS accepts as names and subjects, checked once for bindings and for the CLI's `publish`
 * and `results` flags. Light (no imports), so that the command line can load it cheaply.
 */

/** JetStream stream, consumer and bucket names: no spaces, dots, wildcards or path separators. */
export const JETSTREAM_NAME = /^[^\s.*>/\\]{1,255}$/;

/** A subject or a subject filter: dot-separated tokens, `*` for a token, a final `>`. */
export const SUBJECT_FILTER = /^(?:[^\s.*>]+|\*)(?:\.(?:[^\s.*>]+|\*))*(?:\.>)?$|^>$/;

/** A subject to publish to: no wildcards. */
export const LITERAL_SUBJECT = /^[^\s.*>]+(?:\.[^\s.*>]+)*$/;
