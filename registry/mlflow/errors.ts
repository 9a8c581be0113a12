import { UserError } from '../../model/user-error.ts';

/**
 * Errors from talking to an MLflow tracking server, each saying what to do.
 *
 * MLflow answers API errors as JSON `{"error_code": "...", "message": "..."}`
 * with the HTTP status mapped from the code (mlflow/exceptions.py,
 * ERROR_CODE_TO_HTTP_STATUS); its basic-auth app answers 401/403 with a plain
 * text body (mlflow/server/auth/__init__.py), and Flask answers unknown routes
 * with an HTML 404. MlflowError is a UserError, so the CLI prints it as one
 * line; `kind` says which of these it was.
 */
export interface MlflowErrorDetails {
  /** HTTP status, when the server answered. */
  status?: number;
  /** MLflow's `error_code`, when the body carried one. */
  errorCode?: string;
  /** The server's own `message`, unchanged. */
  serverMessage?: string;
  /** `METHOD /api/2.0/...` of the failed request. */
  request?: string;
}

/**
 * What went wrong, as callers branch on it (not found: register a new model;
 * already exists: reuse it) and as MLflow's error codes group.
 * - unreachable: no answer at all (refused, reset, DNS failure or timeout)
 * - auth: 401 (no or wrong credentials) or 403 (authenticated but not allowed)
 * - not-found: RESOURCE_DOES_NOT_EXIST, or a missing model, version or alias
 * - already-exists: RESOURCE_ALREADY_EXISTS
 * - invalid-request: INVALID_PARAMETER_VALUE / BAD_REQUEST, the request itself was wrong
 * - server: 5xx after retries, any other unexpected answer, or a server not set up the way rookery needs
 */
export type MlflowErrorKind = 'unreachable' | 'auth' | 'not-found' | 'already-exists' | 'invalid-request' | 'server';

export class MlflowError extends UserError {
  readonly kind: MlflowErrorKind;
  readonly status?: number;
  readonly errorCode?: string;
  readonly serverMessage?: string;
  readonly request?: string;

  constructor(kind: MlflowErrorKind, message: string, details: MlflowErrorDetails = {}) {
    super(message);
    this.name = 'MlflowError';
    this.kind = kind;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.serverMessage = details.serverMessage;
    this.request = details.request;
  }
}

export function isMlflowError(err: unknown, kind: MlflowErrorKind): err is MlflowError {
  return err instanceof MlflowError && err.kind === kind;
}

export const TUNNEL_HINT = 'is the tunnel open? run `rookery mlflow tunnel` (or check MLFLOW_TRACKING_URI)';
export const CREDENTIALS_HINT =
  'check MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD (the admin password is in the secret named by the AdminSecretArn output of MlflowStack)';

export interface ErrorContext {
  trackingUri: string;
  method: string;
  /** Path without the query, e.g. `/api/2.0/mlflow/runs/create`. */
  path: string;
  /** Whether any credentials were sent, to tell "missing" from "wrong". */
  credentialsSent: boolean;
  username?: string;
}

interface ErrorBody {
  error_code?: unknown;
  message?: unknown;
}

function parseErrorBody(text: string): ErrorBody | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

function snippet(text: string): string {
  const oneLine = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}...` : oneLine;
}

/** Turns a non-2xx answer into the MlflowError subclass that says what to do. */
export function errorFromResponse(ctx: ErrorContext, status: number, bodyText: string): MlflowError {
  const request = `${ctx.method} ${ctx.path}`;
  const body = parseErrorBody(bodyText);
  const errorCode = typeof body?.error_code === 'string' ? body.error_code : undefined;
  const serverMessage = typeof body?.message === 'string' ? body.message : snippet(bodyText);
  const details: MlflowErrorDetails = { status, request, serverMessage, ...(errorCode ? { errorCode } : {}) };
  const at = `MLflow at ${ctx.trackingUri}`;

  if (status === 401 || errorCode === 'UNAUTHENTICATED' || errorCode === 'CUSTOMER_UNAUTHORIZED') {
    const what = ctx.credentialsSent ? 'wrong credentials' : 'authentication required';
    return new MlflowError('auth', `${what} for ${at} (HTTP ${status} for ${request}): ${CREDENTIALS_HINT}`, details);
  }
  if (status === 403 || errorCode === 'PERMISSION_DENIED') {
    const who = ctx.username ? `user ${ctx.username}` : 'these credentials';
    return new MlflowError('auth', `${at} denied ${request} to ${who} (HTTP 403): ask an MLflow admin for EDIT or MANAGE permission, or use the admin account; ${CREDENTIALS_HINT}`,
      details,
    );
  }
  if (errorCode === 'RESOURCE_DOES_NOT_EXIST' || errorCode === 'NOT_FOUND') {
    return new MlflowError('not-found', `${serverMessage} (${at})`, details);
  }
  if (errorCode === 'RESOURCE_ALREADY_EXISTS' || errorCode === 'ALREADY_EXISTS') {
    return new MlflowError('already-exists', `${serverMessage} (${at})`, details);
  }
  if (errorCode === 'INVALID_PARAMETER_VALUE' || errorCode === 'BAD_REQUEST' || errorCode === 'INVALID_STATE') {
    return new MlflowError('invalid-request', `${at} rejected ${request}: ${serverMessage}`, details);
  }
  if (status === 404) {
    return new MlflowError('server', `${at} has no ${request} (HTTP 404): is MLFLOW_TRACKING_URI the server's root URL (like http://localhost:5000) of an MLflow 2.x tracking server?`,
      details,
    );
  }
  if (status === 503 && /serve-artifacts/.test(bodyText)) {
    return new MlflowError('server', `${at} does not serve artifacts: start it with \`mlflow server --serve-artifacts\` (MlflowStack does)`, details);
  }
  if (status >= 500) {
    return new MlflowError(
      'server',
      `${at} failed ${request} with HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}; check the server's log (\`journalctl -u mlflow\` on the MlflowStack instance)`,
      details,
    );
  }
  return new MlflowError('server', `${at} answered HTTP ${status} to ${request}${serverMessage ? `: ${serverMessage}` : ''}`, details);
}

/** Network-level failure (no HTTP answer) after retries. */
export function unreachable(ctx: Pick<ErrorContext, 'trackingUri' | 'method' | 'path'>, reason: string): MlflowError {
  return new MlflowError('unreachable', `cannot reach MLflow at ${ctx.trackingUri} (${reason}): ${TUNNEL_HINT}`, {
    request: `${ctx.method} ${ctx.path}`,
  });
}

/** The alias lookup failed because the model or the alias is missing (MLflow says so with 404 or, for a missing alias, 400). */
export function isMissingModelOrAlias(err: unknown): boolean {
  if (!(err instanceof MlflowError)) return false;
  if (err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return true;
  return err.errorCode === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(err.serverMessage ?? '');
}
