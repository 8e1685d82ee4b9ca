/**
 * `window.__sluiceViewer`: live counters that browser tests (and curious users in the console)
 * read. The frame canvas also carries `data-detections`, the detections drawn on it last.
 */

export interface ViewerTestHook {
  connected: boolean;
  mode: 'idle' | 'starting' | 'source' | 'watch';
  session: string;
  /** Result messages received. */
  results: number;
  /** Predictions drawn. */
  predictions: number;
  /** Results answered `dropped`, plus results the bridge reported it dropped. */
  dropped: number;
  /** Error results and error messages. */
  errors: number;
  lastError: string;
  lastDetections: number;
  maxDetections: number;
  lastPoints: number;
  /** Frames drawn with a segmentation mask over them. */
  masks: number;
  framesSent: number;
  /** Points in the live chart. */
  chartLength: number;
  /** Title of the message over the frame area; '' while it shows live frames. */
  emptyState: string;
  /** Texts read by the last prediction drawn, with their labels (`180` for a line read upside down). */
  lastTexts: { text: string; label: string }[];
  /** Models the "Add a model" panel uploaded and the server now serves. */
  uploads: number;
  /** Uploads refused, by the bridge or the server. */
  uploadsRefused: number;
  /** The last refusal, as `HTTP-status code` (`422 UPSTREAM_ERROR`; status 0 when the bridge was not reached). */
  lastUploadError: string;
}

declare global {
  interface Window {
    __sluiceViewer?: ViewerTestHook;
  }
}

export function installTestHook(): ViewerTestHook {
  const hook: ViewerTestHook = {
    connected: false,
    mode: 'idle',
    session: '',
    results: 0,
    predictions: 0,
    dropped: 0,
    errors: 0,
    lastError: '',
    lastDetections: 0,
    maxDetections: 0,
    lastPoints: 0,
    masks: 0,
    framesSent: 0,
    chartLength: 0,
    emptyState: '',
    lastTexts: [],
    uploads: 0,
    uploadsRefused: 0,
    lastUploadError: '',
  };
  window.__sluiceViewer = hook;
  return hook;
}
