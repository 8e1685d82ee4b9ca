/**
 * What the frame area says while it has no live frame to show: connecting, waiting for a stream
 * the address names, nothing published (and how to publish), or waiting for a first frame. A
 * black canvas alone tells a new user nothing. Pure, so that unit tests run it without a DOM.
 */

/** What the page is doing, as far as the frame area is concerned. */
export interface FrameAreaSituation {
  readonly connected: boolean;
  readonly mode: 'idle' | 'starting' | 'source' | 'watch';
  /** The session of the current watch or source; '' when idle. */
  readonly session: string;
  /** The session the address names, watched whenever it is published. */
  readonly wanted: string | undefined;
  /** Published sessions as last listed; undefined until the first list arrives. */
  readonly listed: readonly string[] | undefined;
  /** Frames drawn since the current watch or source began. */
  readonly framesShown: number;
}

/** A piece of an empty-state line: plain text, or a command to type. */
export type MessagePart = string | { readonly code: string };

/** A message for the frame area: a title, lines of text and commands, and maybe a stream to offer. */
export interface EmptyStateMessage {
  readonly title: string;
  readonly lines: readonly (readonly MessagePart[])[];
  /** A published session offered with a button. */
  readonly offer?: string;
}

const PUBLISH = (name: string): MessagePart => ({ code: `sluice stream <source> -m <model> --publish ${name}` });
// Says where the controls are by their titles: above the frame on a desktop, below it on a phone.
const FROM_BROWSER = 'or send frames from this browser: pick a model and a source under “Send frames from this browser”, then press Start.';

/** What the frame area should say; undefined when it shows live frames. */
export function emptyStateFor(s: FrameAreaSituation): EmptyStateMessage | undefined {
  if ((s.mode === 'watch' || s.mode === 'source') && s.framesShown > 0) return undefined;
  if (!s.connected) return { title: 'Connecting to the bridge…', lines: [['The page retries every second.']] };
  switch (s.mode) {
    case 'starting':
      return { title: 'Starting the source…', lines: [] };
    case 'source':
      return { title: `Sending frames as ${s.session}…`, lines: [['The first result is on its way.']] };
    case 'watch':
      return { title: `Watching ${s.session}…`, lines: [['Waiting for its next frame.']] };
    case 'idle':
      break;
  }
  if (s.wanted !== undefined) {
    if (s.listed === undefined) return { title: `Looking for ${s.wanted}…`, lines: [] };
    return {
      title: `Nothing is published as ${s.wanted} yet — waiting`,
      lines: [
        ['This page starts watching it as soon as it appears (it checks every two seconds).'],
        ['Publish it from a terminal: ', PUBLISH(s.wanted)],
        [FROM_BROWSER],
      ],
    };
  }
  const listed = s.listed ?? [];
  if (listed.length > 0) {
    const offer = listed.includes('demo') ? 'demo' : listed[0];
    return {
      title: 'Nothing is being watched',
      lines: [[`${listed.length === 1 ? 'One stream is' : `${listed.length} streams are`} published: choose one under “Watch a published stream”,`], [FROM_BROWSER]],
      ...(offer === undefined ? {} : { offer }),
    };
  }
  return {
    title: 'Nothing is published yet',
    lines: [['Publish a stream from a terminal: ', PUBLISH('<name>')], [FROM_BROWSER]],
  };
}
