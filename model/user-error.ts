/**
 * The one error type for problems a user can fix: bad input, a missing file,
 * a value out of range, an unreachable service. Every layer (model/,
 * container/, registry/, stacks/, azure/, scripts/) throws it; the CLI, the
 * CDK app and the cdktf app print `message` as one line with no stack trace,
 * and any other error is a bug and keeps its stack.
 *
 * `message` is the whole line: `where: what; fix`, so tests and logs read
 * one string while callers that want the parts (a JSON error body, say) have
 * them.
 */
export interface UserErrorDetails {
  /** What the problem is about: a flag, a file, a context key (`--folds`, `data/penguins.csv`, `-c model`). */
  readonly where?: string;
  /** What to do about it, in the imperative (`run rookery train first`). */
  readonly fix?: string;
  /**
   * The process exit status when this ends a command.
   * @default 1 (2 is bad usage: a flag or argument the command cannot take)
   */
  readonly exitCode?: number;
  readonly cause?: unknown;
}

export class UserError extends Error {
  readonly what: string;
  readonly where?: string;
  readonly fix?: string;
  readonly exitCode: number;

  constructor(what: string, d: UserErrorDetails = {}) {
    super(formatLine(what, d), d.cause === undefined ? undefined : { cause: d.cause });
    this.name = 'UserError';
    this.what = what;
    if (d.where !== undefined) this.where = d.where;
    if (d.fix !== undefined) this.fix = d.fix;
    this.exitCode = d.exitCode ?? 1;
  }
}

function formatLine(what: string, d: UserErrorDetails): string {
  return `${d.where ? `${d.where}: ` : ''}${what}${d.fix ? `; ${d.fix}` : ''}`;
}
