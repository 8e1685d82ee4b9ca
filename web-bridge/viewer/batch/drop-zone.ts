/**
 * The page's drop zone, and its file and folder buttons: what was dropped or picked, folders
 * walked, as files with their paths (turned into images by `droppedImages`).
 */
import { type DroppedImage, droppedImages } from './dropped-files.js';

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** Every file under `entry`, with its path from the dropped item (`/colours/red/1.png`). */
async function walk(entry: FileSystemEntry, out: { file: File; path: string }[]): Promise<void> {
  if (entry.name.startsWith('.')) return;
  if (entry.isFile) {
    out.push({ file: await entryFile(entry as FileSystemFileEntry), path: entry.fullPath });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries answers in chunks (100 at a time in Chromium) until it answers none.
  for (let chunk = await readEntries(reader); chunk.length > 0; chunk = await readEntries(reader)) {
    for (const child of chunk) await walk(child, out);
  }
}

/** The files of a drop, folders walked. */
export async function filesOfDrop(transfer: DataTransfer): Promise<{ file: File; path: string }[]> {
  const entries = [...transfer.items].map((item) => (item.kind === 'file' ? item.webkitGetAsEntry() : null)).filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) return [...transfer.files].map((file) => ({ file, path: file.name }));
  const out: { file: File; path: string }[] = [];
  for (const entry of entries) await walk(entry, out);
  return out;
}

/** The files of a file input; a folder input gives each its `webkitRelativePath`. */
export function filesOfInput(input: HTMLInputElement): { file: File; path: string }[] {
  return [...(input.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath !== '' ? file.webkitRelativePath : file.name }));
}

/** Makes `zone` take drops (and shows when something is dragged over it); `onFiles` gets the images. */
export function acceptDrops(zone: HTMLElement, onFiles: (images: DroppedImage[]) => void, onError: (message: string) => void): void {
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (event.dataTransfer !== null) event.dataTransfer.dropEffect = 'copy';
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const transfer = event.dataTransfer;
    if (transfer === null) return;
    filesOfDrop(transfer).then(
      (files) => onFiles(droppedImages(files)),
      (err: unknown) => onError(`cannot read the dropped files: ${err instanceof Error ? err.message : String(err)}`),
    );
  });
}
