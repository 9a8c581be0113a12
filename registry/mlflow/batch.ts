/**
 * Splits what a run logs into `runs/log-batch` requests MLflow accepts.
 *
 * Limits from mlflow/protos/service.proto (LogBatch) and
 * mlflow/utils/validation.py: at most 1000 metrics, 100 params, 100 tags and
 * 1000 items in total per request, at most 1 MB per request, keys at most 250
 * characters. Packing follows MLflow's Python client
 * (mlflow/tracking/_tracking_service/client.py, log_batch): params and tags
 * in chunks of 100, each chunk topped up with metrics, then the remaining
 * metrics 1000 at a time.
 */
export interface Metric {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface Batch {
  metrics: Metric[];
  params: KeyValue[];
  tags: KeyValue[];
}

export const LOG_BATCH_LIMITS = {
  metrics: 1000,
  params: 100,
  tags: 100,
  total: 1000,
  bytes: 1_000_000,
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 5000,
} as const;

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** JSON size of a request body carrying `batch`, as sent (run_id included). */
export function batchBytes(runId: string, batch: Batch): number {
  return Buffer.byteLength(JSON.stringify({ run_id: runId, ...batch }));
}

/** Halves a batch until each part fits in `maxBytes`; a single item that cannot fit is the caller's bug. */
function splitBySize(runId: string, batch: Batch, maxBytes: number): Batch[] {
  if (batchBytes(runId, batch) <= maxBytes) return [batch];
  const items = batch.metrics.length + batch.params.length + batch.tags.length;
  if (items <= 1) throw new Error(`a single log-batch item is larger than ${maxBytes} bytes`);
  const half = (xs: unknown[]) => Math.ceil(xs.length / 2);
  const first: Batch = { metrics: batch.metrics.slice(0, half(batch.metrics)), params: batch.params.slice(0, half(batch.params)), tags: batch.tags.slice(0, half(batch.tags)) };
  const second: Batch = { metrics: batch.metrics.slice(first.metrics.length), params: batch.params.slice(first.params.length), tags: batch.tags.slice(first.tags.length) };
  return [...splitBySize(runId, first, maxBytes), ...splitBySize(runId, second, maxBytes)].filter(
    (b) => b.metrics.length + b.params.length + b.tags.length > 0,
  );
}

/** The requests that log everything in `all`, in order, each within MLflow's limits. */
export function planLogBatches(runId: string, all: Batch, limits = LOG_BATCH_LIMITS): Batch[] {
  const paramChunks = chunk(all.params, limits.params);
  const tagChunks = chunk(all.tags, limits.tags);
  let metrics = all.metrics;
  const planned: Batch[] = [];
  for (let i = 0; i < Math.max(paramChunks.length, tagChunks.length); i++) {
    const params = paramChunks[i] ?? [];
    const tags = tagChunks[i] ?? [];
    const room = Math.max(0, Math.min(limits.total - params.length - tags.length, limits.metrics));
    planned.push({ metrics: metrics.slice(0, room), params, tags });
    metrics = metrics.slice(room);
  }
  for (const rest of chunk(metrics, limits.metrics)) planned.push({ metrics: rest, params: [], tags: [] });
  return planned.flatMap((b) => splitBySize(runId, b, limits.bytes));
}

/** Checks keys and values against MLflow's limits before anything is sent, naming the offender. */
export function validateBatch(all: Batch, limits = LOG_BATCH_LIMITS): void {
  // mlflow/utils/validation.py: _VALID_PARAM_AND_METRIC_NAMES
  const validName = /^[/\w.\- ]*$/;
  const check = (kind: string, key: string) => {
    if (!key) throw new Error(`${kind} key is empty`);
    if (key.length > limits.keyLength) throw new Error(`${kind} key ${JSON.stringify(key.slice(0, 40))}... is longer than ${limits.keyLength} characters`);
    if (!validName.test(key)) throw new Error(`${kind} key ${JSON.stringify(key)} may only contain letters, digits, _ - . / and spaces`);
  };
  for (const m of all.metrics) {
    check('metric', m.key);
    if (!Number.isFinite(m.value)) throw new Error(`metric ${m.key} is ${m.value}; MLflow stores finite numbers only here`);
  }
  const seen = new Set<string>();
  for (const p of all.params) {
    check('param', p.key);
    if (seen.has(p.key)) throw new Error(`param ${p.key} is logged twice; MLflow refuses to change a param's value`);
    seen.add(p.key);
    if (p.value.length > limits.paramValueLength) throw new Error(`param ${p.key} is longer than ${limits.paramValueLength} characters`);
  }
  for (const t of all.tags) {
    check('tag', t.key);
    if (t.value.length > limits.tagValueLength) throw new Error(`tag ${t.key} is longer than ${limits.tagValueLength} characters`);
  }
}
