/**
 * Whether Azure sign-in failed, for every command that signs in: its own
 * module, without the Azure ML client connection.ts loads, so a job that only
 * publishes metrics (scripts/azure/metrics.ts) does not bundle that client.
 */
export const LOGIN_MESSAGE = 'not logged in to Azure: run `az login` (and `az account set --subscription ...`)';

const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

/** True when the error (or one it wraps) says no Azure credential could be obtained. */
export function isLoginError(err: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown): boolean => {
    if (!e || typeof e !== 'object' || seen.has(e)) return false;
    seen.add(e);
    const { name, cause, errors } = e as { name?: string; cause?: unknown; errors?: unknown[] };
    if (name && CREDENTIAL_ERRORS.has(name)) return true;
    return visit(cause) || (Array.isArray(errors) && errors.some(visit));
  };
  return visit(err);
}
