// Starting the training pipeline and following one execution's history:
// each state entered and left, failures and retries, until it ends.
import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { explainAwsError } from '../aws/credentials.ts';
import { UserError } from '../../model/user-error.ts';

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionEnd {
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
}

export interface WatchOptions {
  pollIntervalMs: number;
  out: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

type Sfn = typeof import('@aws-sdk/client-sfn');

const TERMINAL: Record<string, ExecutionStatus> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

export function consoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3];
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** Turns an SDK failure into one line a user can act on: credential, permission and region problems as scripts/aws/credentials.ts says them. */
export function sfnFailure(action: string, err: unknown): UserError {
  const explained = explainAwsError(err, 'AWS Step Functions');
  if (explained instanceof UserError) return new UserError(`cannot ${action}: ${explained.message}`, { cause: err });
  const e = err as { name?: string; message?: string };
  return new UserError(`cannot ${action}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`, { cause: err });
}

export async function startExecution(
  client: SFNClient,
  sfn: Sfn,
  request: { stateMachineArn: string; input: Record<string, unknown>; name?: string },
): Promise<string> {
  try {
    const answer = await client.send(
      new sfn.StartExecutionCommand({ stateMachineArn: request.stateMachineArn, input: JSON.stringify(request.input), ...(request.name ? { name: request.name } : {}) }),
    );
    return answer.executionArn!;
  } catch (err) {
    throw sfnFailure(`start ${request.stateMachineArn}`, err);
  }
}

const clock = (d: Date | undefined) => (d ? `${new Date(d).toISOString().slice(11, 19)}Z` : '--:--:--Z');

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * A Batch job failure's cause is the job's description as JSON; show the
 * parts that say why, and where its log is. Anything else is shown as is.
 */
export function explainCause(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const job = JSON.parse(cause);
    if (job && typeof job === 'object' && (job.JobName || job.jobName)) {
      const container = job.Container ?? job.container ?? {};
      const exit = container.ExitCode ?? container.exitCode;
      const stream = container.LogStreamName ?? container.logStreamName;
      const reason = job.StatusReason ?? job.statusReason ?? 'no reason given';
      return [
        `job ${job.JobName ?? job.jobName} ${job.Status ?? job.status ?? 'FAILED'}: ${reason}`,
        exit !== undefined ? ` (exit code ${exit})` : '',
        stream ? `; log stream ${stream}` : '',
      ].join('');
    }
  } catch {
    // not JSON: a plain message
  }
  return cause;
}

/**
 * Where the training job put its report: the state machine reads the job's
 * result (`rookery train --result`) into `$.training.result`, so every state
 * after that carries its `report` in its output.
 */
export function trainingReport(output: string | undefined): string | undefined {
  if (!output) return undefined;
  try {
    const report = JSON.parse(output)?.training?.result?.report;
    return typeof report === 'string' && report ? report : undefined;
  } catch {
    return undefined;
  }
}

/** Formats history events as lines; keeps what it needs (entry times, current state) between calls. */
export class HistoryPrinter {
  private entered = new Map<string, number>();
  private current: string | undefined;
  private failedIn: string | undefined;
  private attempts = new Map<string, number>();
  private reportShown = false;
  end: ExecutionEnd | undefined;

  constructor(private readonly out: (line: string) => void) {}

  print(event: HistoryEvent): void {
    const at = clock(event.timestamp);
    const type = event.type ?? '';
    if (type.endsWith('StateEntered')) {
      const name = event.stateEnteredEventDetails?.name ?? '?';
      this.current = name;
      this.entered.set(name, new Date(event.timestamp!).getTime());
      this.out(`${at}  -> ${name}`);
    } else if (type.endsWith('StateExited')) {
      const name = event.stateExitedEventDetails?.name ?? '?';
      const started = this.entered.get(name);
      const took = started !== undefined ? ` (${duration(new Date(event.timestamp!).getTime() - started)})` : '';
      this.out(`${at}  <- ${name}${took}`);
      const report = trainingReport(event.stateExitedEventDetails?.output);
      if (report && !this.reportShown) {
        this.reportShown = true;
        this.out(`${at}     training report: ${report}`);
      }
    } else if (type === 'TaskScheduled') {
      const state = this.current ?? '?';
      const attempt = (this.attempts.get(state) ?? 0) + 1;
      this.attempts.set(state, attempt);
      if (attempt > 1 && this.failedIn === state) this.out(`${at}     ${state}: retrying (attempt ${attempt})`);
    } else if (type === 'TaskFailed' || type === 'TaskSubmitFailed' || type === 'TaskStartFailed' || type === 'TaskTimedOut') {
      const details = event.taskFailedEventDetails ?? event.taskSubmitFailedEventDetails ?? event.taskStartFailedEventDetails ?? event.taskTimedOutEventDetails;
      this.failedIn = this.current;
      this.out(`${at}     ${this.current ?? '?'} failed: ${details?.error ?? type}${details?.cause ? `: ${explainCause(details.cause)}` : ''}`);
    } else if (type === 'TaskSubmitted' && event.taskSubmittedEventDetails?.resourceType === 'batch') {
      try {
        const job = JSON.parse(event.taskSubmittedEventDetails.output ?? '{}');
        if (job.JobId) this.out(`${at}     ${this.current ?? '?'}: Batch job ${[job.JobName, job.JobId].filter(Boolean).join(' ')}`);
      } catch {
        // no job id to show
      }
    } else if (type in TERMINAL) {
      const status = TERMINAL[type];
      const details = event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails;
      this.end = { status, ...(details?.error ? { error: details.error } : {}), ...(details?.cause ? { cause: details.cause } : {}) };
      if (status === 'SUCCEEDED') {
        const text = event.executionSucceededEventDetails?.output;
        let output: unknown = text;
        try {
          output = text === undefined ? undefined : JSON.parse(text);
        } catch {
          // keep the text
        }
        this.end.output = output;
        this.out(`${at}  execution succeeded${text ? `: ${text}` : ''}`);
      } else {
        const why = details?.error ? `: ${details.error}${details.cause ? `: ${explainCause(details.cause)}` : ''}` : '';
        this.out(`${at}  execution ${status.toLowerCase().replace('_', ' ')}${why}`);
      }
    }
  }
}

/** Polls the execution's history, printing new events, until the execution ends. */
export async function watchExecution(client: SFNClient, sfn: Sfn, executionArn: string, options: WatchOptions): Promise<ExecutionEnd> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const printer = new HistoryPrinter(options.out);
  let lastId = 0;
  for (;;) {
    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await client.send(new sfn.GetExecutionHistoryCommand({ executionArn, maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
      } catch (err) {
        throw sfnFailure(`read the history of ${executionArn}`, err);
      }
      for (const event of page.events ?? []) {
        if ((event.id ?? 0) <= lastId) continue;
        lastId = event.id ?? lastId;
        printer.print(event);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    if (printer.end) return printer.end;
    await sleep(options.pollIntervalMs);
  }
}
