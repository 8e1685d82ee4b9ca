/**
 * The words the evaluation set is written with: common English words of every length, and
 * number shapes (integers, decimals, times, dates) drawn from the seeded generator.
 */
import type { Random } from './random.js';

/** Lower-case English words; lines capitalise some of them. */
export const WORDS: readonly string[] = [
  'about', 'above', 'across', 'after', 'again', 'air', 'all', 'almost', 'along', 'always',
  'amber', 'among', 'and', 'animal', 'answer', 'apple', 'around', 'autumn', 'away', 'back',
  'basket', 'before', 'begin', 'behind', 'below', 'between', 'bird', 'black', 'blue', 'board',
  'book', 'bottle', 'bridge', 'bright', 'brown', 'build', 'busy', 'but', 'call', 'camera',
  'carry', 'castle', 'centre', 'change', 'check', 'city', 'clear', 'close', 'cloud', 'cold',
  'colour', 'common', 'copper', 'corner', 'could', 'country', 'cover', 'cross', 'daily', 'dark',
  'delta', 'desk', 'differ', 'direct', 'distance', 'door', 'down', 'draw', 'during', 'early',
  'earth', 'east', 'engine', 'enough', 'evening', 'every', 'example', 'eye', 'face', 'fact',
  'family', 'farm', 'field', 'figure', 'final', 'fire', 'first', 'floor', 'follow', 'food',
  'forest', 'form', 'found', 'frame', 'friend', 'front', 'garden', 'gather', 'gentle', 'glass',
  'golden', 'good', 'great', 'green', 'ground', 'group', 'grow', 'half', 'harbour', 'heavy',
  'help', 'high', 'history', 'hold', 'horse', 'hour', 'house', 'idea', 'inside', 'island',
  'journey', 'jump', 'just', 'keep', 'kind', 'kitchen', 'knife', 'know', 'ladder', 'lake',
  'large', 'later', 'learn', 'letter', 'light', 'little', 'long', 'machine', 'market', 'measure',
  'metal', 'middle', 'minute', 'model', 'moment', 'morning', 'mountain', 'move', 'music', 'name',
  'near', 'never', 'night', 'north', 'number', 'ocean', 'office', 'open', 'orange', 'order',
  'other', 'paper', 'parcel', 'people', 'picture', 'place', 'plain', 'planet', 'point', 'quick',
  'quiet', 'railway', 'reach', 'ready', 'record', 'river', 'road', 'round', 'saddle', 'school',
  'season', 'second', 'silver', 'simple', 'single', 'sluice', 'small', 'south', 'spring', 'square',
  'station', 'steady', 'stone', 'story', 'stream', 'street', 'summer', 'table', 'thunder', 'ticket',
  'together', 'travel', 'under', 'valley', 'velvet', 'village', 'voice', 'water', 'weather', 'west',
  'window', 'winter', 'wonder', 'world', 'yellow', 'young', 'zebra', 'zone',
];

/** A number as it appears in text: an integer, a decimal, a time, a date or a code. */
export function numberToken(random: Random): string {
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  switch (random.int(0, 4)) {
    case 0:
      return String(random.int(0, 99_999));
    case 1:
      return `${random.int(0, 999)}.${pad(random.int(0, 99), 2)}`;
    case 2:
      return `${pad(random.int(0, 23), 2)}:${pad(random.int(0, 59), 2)}`;
    case 3:
      return `${pad(random.int(1, 28), 2)}/${pad(random.int(1, 12), 2)}/${random.int(1990, 2030)}`;
    default:
      return `${random.int(100, 999)}-${pad(random.int(0, 9999), 4)}`;
  }
}

/** One token of a line: a word (sometimes capitalised or in capitals) or, one time in five, a number. */
export function randomToken(random: Random): string {
  if (random.chance(0.2)) return numberToken(random);
  const word = random.pick(WORDS);
  const form = random.next();
  if (form < 0.25) return word[0]!.toUpperCase() + word.slice(1);
  if (form < 0.33) return word.toUpperCase();
  return word;
}
