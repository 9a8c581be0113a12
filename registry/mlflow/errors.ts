import { UserError } from '../../model/user-error.ts';

/**
 * Errors from talking to an MLflow tracking server, each saying what to do.
 *
 * MLflow answers API errors as JSON `{"error_code": "...", "message": "..."}`
 * with the HTTP status mapped from the code (mlflow/exceptions.py,
 * ERROR_CODE_TO_HTTP_STATUS); its basic-auth app answers 401/403 with a plain
 * text body (mlflow/server/auth/__init__.py), and Flask answers unknown routes
 * with an HTML 404. These classes extend UserError so the CLI prints them as
 * one line.
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

export class MlflowError extends UserError {
  readonly status?: number;
  readonly errorCode?: string;
  readonly serverMessage?: string;
  readonly request?: string;

  constructor(message: string, details: MlflowErrorDetails = {}) {
    super(message);
    this.name = 'MlflowError';
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.serverMessage = details.serverMessage;
    this.request = details.request;
  }
}

/** No answer at all: refused, reset, DNS failure or timeout. */
export class MlflowUnreachableError extends MlflowError {
  constructor(message: string, details: MlflowErrorDetails = {}) {
    super(message, details);
    this.name = 'MlflowUnreachableError';
  }
}

/** 401 (no or wrong credentials) or 403 (authenticated but not allowed). */
export class MlflowAuthError extends MlflowError {
  constructor(message: string, details: MlflowErrorDetails = {}) {
    super(message, details);
    this.name = 'MlflowAuthError';
  }
}

/** RESOURCE_DOES_NOT_EXIST, or a missing model, version or alias. */
export class MlflowNotFoundError extends MlflowError {
  constructor(message: string, details: MlflowErrorDetails = {}) {
    super(message, details);
    this.name = 'MlflowNotFoundError';
  }
}

export class MlflowAlreadyExistsError extends MlflowError {
  constructor(message: string, details: MlflowErrorDetails = {}) {
    super(message, details);
    this.name = 'MlflowAlreadyExistsError';
  }
}

/** INVALID_PARAMETER_VALUE / BAD_REQUEST: the request itself was wrong. */
export class MlflowInvalidRequestError extends MlflowError {
  constructor(message: string, details: MlflowErrorDetails = {}) {
    super(message, details);
    this.name = 'MlflowInvalidRequestError';
  }
}

/** 5xx after retries, or a server that is not set up the way rookery needs. */
export class MlflowServerError extends MlflowError {
  constructor(message: string, details: MlflowErrorDetails = {}) {
    super(message, details);
    this.name = 'MlflowServerError';
  }
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
    return new MlflowAuthError(`${what} for ${at} (HTTP ${status} for ${request}): ${CREDENTIALS_HINT}`, details);
  }
  if (status === 403 || errorCode === 'PERMISSION_DENIED') {
    const who = ctx.username ? `user ${ctx.username}` : 'these credentials';
    return new MlflowAuthError(
      `${at} denied ${request} to ${who} (HTTP 403): ask an MLflow admin for EDIT or MANAGE permission, or use the admin account; ${CREDENTIALS_HINT}`,
      details,
    );
  }
  if (errorCode === 'RESOURCE_DOES_NOT_EXIST' || errorCode === 'NOT_FOUND') {
    return new MlflowNotFoundError(`${serverMessage} (${at})`, details);
  }
  if (errorCode === 'RESOURCE_ALREADY_EXISTS' || errorCode === 'ALREADY_EXISTS') {
    return new MlflowAlreadyExistsError(`${serverMessage} (${at})`, details);
  }
  if (errorCode === 'INVALID_PARAMETER_VALUE' || errorCode === 'BAD_REQUEST' || errorCode === 'INVALID_STATE') {
    return new MlflowInvalidRequestError(`${at} rejected ${request}: ${serverMessage}`, details);
  }
  if (status === 404) {
    return new MlflowServerError(
      `${at} has no ${request} (HTTP 404): is MLFLOW_TRACKING_URI the server's root URL (like http://localhost:5000) of an MLflow 2.x tracking server?`,
      details,
    );
  }
  if (status === 503 && /serve-artifacts/.test(bodyText)) {
    return new MlflowServerError(`${at} does not serve artifacts: start it with \`mlflow server --serve-artifacts\` (MlflowStack does)`, details);
  }
  if (status >= 500) {
    return new MlflowServerError(
      `${at} failed ${request} with HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}; check the server's log (\`journalctl -u mlflow\` on the MlflowStack instance)`,
      details,
    );
  }
  return new MlflowError(`${at} answered HTTP ${status} to ${request}${serverMessage ? `: ${serverMessage}` : ''}`, details);
}

/** Network-level failure (no HTTP answer) after retries. */
export function unreachable(ctx: Pick<ErrorContext, 'trackingUri' | 'method' | 'path'>, reason: string): MlflowUnreachableError {
  return new MlflowUnreachableError(`cannot reach MLflow at ${ctx.trackingUri} (${reason}): ${TUNNEL_HINT}`, {
    request: `${ctx.method} ${ctx.path}`,
  });
}

/** The alias lookup failed because the model or the alias is missing (MLflow says so with 404 or, for a missing alias, 400). */
export function isMissingModelOrAlias(err: unknown): boolean {
  if (!(err instanceof MlflowError)) return false;
  if (err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return true;
  return err.errorCode === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(err.serverMessage ?? '');
}
