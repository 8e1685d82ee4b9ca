/**
 * Which scenarios a run measures: `--only a,b` names them; `--models` alone keeps the model
 * suite (and `ocr` if listed), as before the list grew; neither runs everything.
 */

/** Every scenario `--only` knows. */
export const SCENARIOS = ['models', 'overhead', 'ocr', 'jpeg', 'live-jpeg', 'streams', 'memory', 'kserve', 'nats'] as const;

/** One scenario's name. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** What each one runs, listed when `--only` names one that does not exist. */
export const SCENARIO_HELP: Readonly<Record<ScenarioName, string>> = {
  models: 'raw ort, echo, PredictOne, streams and live mode of each model of --models (the overhead ratio comes with it)',
  overhead: 'only what the overhead ratio needs: echo, the batching stream, raw ort at its batch size',
  ocr: 'the OCR pipeline on rendered frames',
  jpeg: 'detector and tiny-cnn fed JPEG frames against a raw decode + infer loop',
  'live-jpeg': 'live mode with JPEG frames at 2x overload, dropped at the source by latestOnly',
  streams: '1, 10, 100 and 1000 streams of tiny-cnn at the same total load, RSS per idle stream',
  memory: '8 streams of 48 MiB raw frames against --max-inflight-bytes',
  kserve: 'ModelStreamInfer and ModelInfer against Predict and PredictOne, tiny model and classifier, same tensors',
  nats: 'tiny-cnn JPEGs through a NATS JetStream binding (1 and 2 replicas) against a Predict stream; needs nats-server',
};

function isScenario(name: string): name is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(name);
}

/** The scenarios to run, from `--only` and `--models`. */
export function selectScenarios(only: string | undefined, models: readonly string[] | undefined): ReadonlySet<ScenarioName> {
  if (only !== undefined) {
    const names = only.split(',').map((n) => n.trim()).filter((n) => n !== '');
    const unknown = names.filter((n) => !isScenario(n));
    if (unknown.length > 0 || names.length === 0) {
      const list = SCENARIOS.map((n) => `  ${n}: ${SCENARIO_HELP[n]}`).join('\n');
      throw new Error(`--only takes a comma-separated list of scenarios; unknown: ${unknown.join(', ') || '(none given)'}. The scenarios:\n${list}`);
    }
    return new Set(names.filter(isScenario));
  }
  if (models !== undefined) {
    const selected = new Set<ScenarioName>();
    if (models.some((m) => m !== 'ocr')) selected.add('models');
    if (models.includes('ocr')) selected.add('ocr');
    return selected;
  }
  return new Set(SCENARIOS.filter((s) => s !== 'overhead'));
}
