/**
 * Errors of the dataset catalogue, each with a stable `code`: the routes and the socket map them
 * to their answers by code, never by message.
 */

/** The codes of `DatasetError`. */
export type DatasetErrorCode =
  /** A dataset folder (or its labels.csv) cannot be read or is malformed; found at start. */
  | 'INVALID_DATASET'
  /** No dataset of that name in the catalogue. */
  | 'UNKNOWN_DATASET'
  /** A path that is not an item of the dataset (or whose file now lies outside it). */
  | 'UNKNOWN_ITEM'
  /** An item whose file cannot be read now (removed or unreadable since the scan). */
  | 'ITEM_UNREADABLE'
  /** An item whose file is larger than the bridge forwards. */
  | 'ITEM_TOO_LARGE';

export class DatasetError extends Error {
  readonly code: DatasetErrorCode;

  constructor(code: DatasetErrorCode, message: string) {
    super(message);
    this.name = 'DatasetError';
    this.code = code;
  }
}
