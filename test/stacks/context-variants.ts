// The documented `-c key=value` combinations that change a synthesized template: each suite that
// checks every template (cfn-lint, cfn-guard) synthesizes all of them.

export interface Variant {
  /** What `-c key=value` would pass. */
  context: Record<string, string>;
  /** Whether the registry holds penguins@champion (what `npm start` leaves). */
  model: boolean;
}

const CAPTURE_ELSEWHERE = { captureUri: 's3://rookery-capture-123/capture', groundTruthUri: 's3://rookery-capture-123/ground-truth' };

/** The README's `-c` options that change a template, each in at least one variant. */
export const VARIANTS: Record<string, Variant> = {
  defaults: { context: {}, model: true },
  '-c enableMonitoring=true': { context: { enableMonitoring: 'true' }, model: true },
  '-c githubRepository=me/rookery': { context: { githubRepository: 'me/rookery' }, model: true },
  '-c mlflowBackend=postgres': { context: { mlflowBackend: 'postgres' }, model: true },
  'every other option that changes a template': {
    context: {
      retainData: 'true',
      mlflowBackend: 'postgres',
      mlflowAllowedCidr: '203.0.113.7/32',
      mlflowDetailedMonitoring: 'true',
      endpointMaxInstances: '1',
      batchSpot: 'true',
      trainingSchedule: 'rate(7 days)',
      batchScoring: 'rate(1 day)',
      batchInput: 's3://rookery-batch-123/batch/',
      enableMonitoring: 'true',
      retrainOnDrift: 'false',
      githubRepository: 'me/rookery',
      githubEnvironment: 'staging',
      githubBranch: 'release',
    },
    model: true,
  },
  'no model': { context: {}, model: false },
  'no model, monitoring a bucket given in context': { context: { enableMonitoring: 'true', ...CAPTURE_ELSEWHERE }, model: false },
};

/** Synthesizes the variants two at a time (each is a CPU-bound synth of every stack). */
export async function synthAll<T>(synth: (variant: Variant) => Promise<T>): Promise<Record<string, T>> {
  const names = Object.keys(VARIANTS);
  const done: Record<string, T> = {};
  for (let i = 0; i < names.length; i += 2) {
    const batch = names.slice(i, i + 2);
    const results = await Promise.all(batch.map((name) => synth(VARIANTS[name])));
    batch.forEach((name, j) => (done[name] = results[j]));
  }
  return done;
}
