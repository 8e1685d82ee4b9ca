/**
 * The datasets as `GET /api/datasets` and `GET /api/datasets/<name>/items` send them: the bridge
 * builds them (`web-bridge/datasets/`), the batch page reads them.
 */

/** A metadata value: numbers as numbers. */
export type MetadataValue = number | string;

/** A numeric column and the range of its values. */
export interface NumberColumn {
  readonly name: string;
  readonly kind: 'number';
  readonly min: number;
  readonly max: number;
}

/** A text column and its distinct values, in natural order. */
export interface TextColumn {
  readonly name: string;
  readonly kind: 'text';
  readonly values: readonly string[];
}

/** A metadata column of a dataset's labels.csv. */
export type MetadataColumn = NumberColumn | TextColumn;

/** What `GET /api/datasets` says of a dataset. */
export interface DatasetSummary {
  readonly name: string;
  readonly images: number;
  /** The labels present, in natural order. */
  readonly classes: readonly string[];
  readonly columns: readonly MetadataColumn[];
}

/** One image of a dataset: its path in the dataset folder, its label and its metadata. */
export interface DatasetItemJson {
  readonly path: string;
  readonly label: string;
  /** Its labels.csv values, by column; empty cells are left out. */
  readonly metadata: Readonly<Record<string, MetadataValue>>;
}
