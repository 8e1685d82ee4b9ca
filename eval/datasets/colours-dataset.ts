/**
 * The shipped `colours` dataset: 32x32 PNGs of tiny-cnn's classes (red, green, blue), each a
 * colour mixed with one other, with a patch of that other colour and per-pixel noise, and a
 * `labels.csv` of `file,label,energy,detector`.
 *
 * tiny-cnn answers with the channel whose pixels are, on average, furthest above mid-grey. An
 * image's `energy` (0..100) sets how far its labelled colour leads the colour mixed into it: at
 * high energy the colour is pure, near 0 it is an even mix (yellow, magenta, cyan) and the patch
 * decides, so tiny-cnn is right on most images but not all, and its scores spread out near the
 * boundary (ROC and precision/recall curves with something to show). `detector` is `a` (light
 * noise) or `b` (heavy noise). Everything follows from the seed; image `i` depends only on the
 * seed and `i`.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { csvLine } from '../../client/cli/batch/csv.js';
import { writeIfChanged } from '../../models/write-if-changed.js';
import { type Random, createRandom, deriveSeed } from '../dataset/random.js';

/** tiny-cnn's labels, in its output order. */
export const COLOUR_CLASSES = Object.freeze(['red', 'green', 'blue'] as const);

export type ColourClass = (typeof COLOUR_CLASSES)[number];

/** Side of the images, tiny-cnn's input size: nothing is resized. */
export const COLOUR_IMAGE_SIZE = 32;

/** The seed of the shipped set. */
export const COLOURS_SEED = 20_261_130;

/** Images in the shipped set: 100 of each class. */
export const COLOURS_IMAGES = 300;

/** Folder of the images inside the dataset folder. */
const IMAGE_DIR = 'img';

/** One image of the set and its row of `labels.csv`. */
export interface ColourImage {
  /** Path relative to the dataset folder, e.g. `img/0001.png`. */
  readonly file: string;
  readonly label: ColourClass;
  /** 0..100, one decimal: low is hard (the labelled colour barely leads). */
  readonly energy: number;
  readonly detector: 'a' | 'b';
  readonly png: Buffer;
}

/** Options of `writeColoursDataset`. */
export interface ColoursDatasetOptions {
  /** Any 32-bit integer (default `COLOURS_SEED`). */
  readonly seed?: number;
  /** Number of images (default `COLOURS_IMAGES`); classes take turns. */
  readonly images?: number;
}

/** What `writeColoursDataset` did. */
export interface WrittenDataset {
  readonly dir: string;
  readonly images: number;
  /** Files written because they were missing or different; 0 when the folder was up to date. */
  readonly written: number;
  /** Stale images removed (left over from a larger set). */
  readonly removed: number;
}

/** A normal draw (Box-Muller). */
function gaussian(random: Random): number {
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

function toByte(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value * 255)));
}

/** Image `index` of the set of `seed`. */
export async function generateColourImage(seed: number, index: number): Promise<ColourImage> {
  const random = createRandom(deriveSeed(seed, index));
  const labelChannel = index % COLOUR_CLASSES.length;
  const [first, second] = [0, 1, 2].filter((c) => c !== labelChannel) as [number, number];
  const mixedChannel = random.chance(0.5) ? first : second;
  const darkChannel = mixedChannel === first ? second : first;
  const energy = Math.round(random.float(0, 100) * 10) / 10;
  const detector = random.chance(0.5) ? 'a' : 'b';
  const noise = detector === 'a' ? 0.04 : 0.1;

  // Brightness of each channel over the image; the labelled one leads the mixed one by a gap
  // (in tiny-cnn's units, 2 * brightness - 1) proportional to the energy.
  const lead = random.float(0.74, 0.92);
  const gap = 0.6 * (energy / 100);
  const base = [0, 0, 0];
  base[labelChannel] = lead;
  base[mixedChannel] = Math.max(0.3, lead - gap / 2);
  base[darkChannel] = random.float(0.12, 0.4);

  // A disc of the mixed colour alone (up to ~15% of the image): what tips the hard images over.
  const patch = [0, 0, 0];
  patch[mixedChannel] = random.float(0.8, 0.95);
  patch[darkChannel] = base[darkChannel] as number;
  patch[labelChannel] = random.float(0.1, 0.35);
  const radius = Math.sqrt((random.float(0, 0.15) * COLOUR_IMAGE_SIZE * COLOUR_IMAGE_SIZE) / Math.PI);
  const cx = random.float(radius, COLOUR_IMAGE_SIZE - radius);
  const cy = random.float(radius, COLOUR_IMAGE_SIZE - radius);
  // A gentle light falloff, so that no two images are flat fields of the same colour.
  const tiltX = random.float(-0.06, 0.06);
  const tiltY = random.float(-0.06, 0.06);

  const pixels = Buffer.alloc(COLOUR_IMAGE_SIZE * COLOUR_IMAGE_SIZE * 3);
  for (let y = 0; y < COLOUR_IMAGE_SIZE; y++) {
    for (let x = 0; x < COLOUR_IMAGE_SIZE; x++) {
      const inPatch = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= radius * radius;
      const colour = inPatch ? patch : base;
      const light = 1 + tiltX * (x / (COLOUR_IMAGE_SIZE - 1) - 0.5) + tiltY * (y / (COLOUR_IMAGE_SIZE - 1) - 0.5);
      const offset = (y * COLOUR_IMAGE_SIZE + x) * 3;
      for (let c = 0; c < 3; c++) pixels[offset + c] = toByte((colour[c] as number) * light + noise * gaussian(random));
    }
  }
  const png = await sharp(pixels, { raw: { width: COLOUR_IMAGE_SIZE, height: COLOUR_IMAGE_SIZE, channels: 3 } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  return {
    file: `${IMAGE_DIR}/${String(index + 1).padStart(4, '0')}.png`,
    label: COLOUR_CLASSES[labelChannel] as ColourClass,
    energy,
    detector,
    png,
  };
}

/** The `labels.csv` of `images`. */
export function coloursLabelsCsv(images: readonly ColourImage[]): string {
  const lines = [csvLine(['file', 'label', 'energy', 'detector']), ...images.map((i) => csvLine([i.file, i.label, i.energy, i.detector]))];
  return `${lines.join('\n')}\n`;
}

/**
 * Writes the set into `dir` (`img/NNNN.png` and `labels.csv`), leaving files that already hold
 * the right bytes alone and removing images a previous, larger set left behind.
 */
export async function writeColoursDataset(dir: string, options: ColoursDatasetOptions = {}): Promise<WrittenDataset> {
  const seed = options.seed ?? COLOURS_SEED;
  const count = options.images ?? COLOURS_IMAGES;
  if (!Number.isSafeInteger(count) || count < 1 || count > 9999) throw new RangeError(`options.images must be an integer from 1 to 9999, got ${count}`);
  const images = await Promise.all(Array.from({ length: count }, (_, index) => generateColourImage(seed, index)));
  const results = await Promise.all([
    ...images.map((image) => writeIfChanged(join(dir, image.file), image.png)),
    writeIfChanged(join(dir, 'labels.csv'), Buffer.from(coloursLabelsCsv(images))),
  ]);
  const expected = new Set(images.map((image) => image.file));
  let removed = 0;
  for (const name of await readdir(join(dir, IMAGE_DIR))) {
    if (expected.has(`${IMAGE_DIR}/${name}`)) continue;
    await rm(join(dir, IMAGE_DIR, name), { recursive: true, force: true });
    removed++;
  }
  return { dir, images: count, written: results.filter(Boolean).length, removed };
}
