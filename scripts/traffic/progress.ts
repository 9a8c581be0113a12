import type { TrafficProgress, TrafficSummary } from './send.ts';

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** What the lines call the work: `traffic: 10/20 rows sent`; `rookery score` counts megabytes read. */
export interface ProgressWords {
  name: string;
  unit: string;
  verb: string;
  amount?: (n: number) => string;
}

const TRAFFIC_WORDS: ProgressWords = { name: 'traffic', unit: 'rows', verb: 'sent' };

/**
 * Progress on stderr: a bar redrawn in place on a terminal; on a pipe or in
 * CI, a plain line every 10% (and at most every 2 s) so logs stay readable.
 */
export function progressReporter(stream: ProgressStream = process.stderr, now: () => number = Date.now, words: ProgressWords = TRAFFIC_WORDS): {
  update(p: TrafficProgress): void;
  done(): void;
} {
  let lastLine = 0;
  let lastDecile = -1;
  let drawn = false;
  const amount = words.amount ?? String;
  return {
    update(p) {
      const share = p.rowsTotal ? p.rowsDone / p.rowsTotal : 1;
      const failed = p.requestsFailed ? `, ${p.requestsFailed} failed requests` : '';
      if (stream.isTTY) {
        const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 45));
        const filled = Math.round(share * width);
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${amount(p.rowsDone)}/${amount(p.rowsTotal)} ${words.unit}${failed}\x1b[K`);
        drawn = true;
        return;
      }
      const decile = Math.floor(share * 10);
      if (decile > lastDecile && (now() - lastLine >= 2_000 || share === 1 || lastDecile < 0)) {
        lastDecile = decile;
        lastLine = now();
        stream.write(`${words.name}: ${amount(p.rowsDone)}/${amount(p.rowsTotal)} ${words.unit} ${words.verb} (${Math.round(share * 100)}%)${failed}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}

const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : '-');

/** The closing summary: what was sent, what failed and why, predictions per class, latency. */
export function formatTrafficSummary(s: TrafficSummary): string {
  const perClass = Object.entries(s.predictions).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
  const seconds = s.durationMs / 1000;
  const lines = [
    ...(s.interrupted ? [`interrupted after ${s.rows.sent} of ${s.interrupted.rowsTotal} rows${s.interrupted.inFlight ? ` (${s.interrupted.inFlight} requests in flight left unanswered)` : ''}; the figures below cover the rows answered`] : []),
    `sent ${s.rows.sent} rows in ${s.requests.sent} requests to ${s.destination} in ${seconds.toFixed(2)} s (${seconds > 0 ? Math.round(s.rows.sent / seconds) : s.rows.sent} rows/s)`,
    `failed: ${s.requests.failed} requests (${s.rows.failed} rows)`,
    `predictions per class: ${perClass}`,
    `latency per request: p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)}, max ${ms(s.latencyMs.max)}`,
  ];
  for (const e of s.errors.slice(0, 5)) lines.push(`  ${e.count} × ${e.message}`);
  if (s.aborted) lines.push(`stopped early: ${s.aborted}${s.target === 'local' ? ": is 'rookery serve' running there?" : ''}`);
  return lines.join('\n');
}
