/**
 * What a client needs to call an online endpoint, read from the workspace:
 * the scoring URI (`onlineEndpoints.get`) and a credential for it (the key
 * from `onlineEndpoints.listKeys` for key auth, which the Azure app sets up).
 */
import { AML_API_VERSION } from '../../cloud/azure-ml.ts';
import { UserError } from '../../model/user-error.ts';
import { azureCall, workspacePath, type AmlConnection } from './connection.ts';
import { send, type HttpResponse } from './http.ts';

export interface EndpointAccess {
  name: string;
  scoringUri: string;
  /** `Bearer <key or token>` for the scoring request. */
  authorization: string;
  authMode: string;
  traffic: Record<string, number>;
}

/** Resolves an endpoint's scoring URI and a credential for it. */
export async function endpointAccess(conn: AmlConnection, name: string): Promise<EndpointAccess> {
  const { resourceGroup, workspace } = conn.ref;
  const where = `online endpoint ${JSON.stringify(name)} in workspace ${workspace} (resource group ${resourceGroup})`;
  const endpoint = await azureCall(where, () => conn.client.onlineEndpoints.get(resourceGroup, workspace, name));
  const props = endpoint.properties;
  if (!props.scoringUri) {
    throw new UserError(`${where} has no scoring URI yet (provisioning state ${props.provisioningState ?? 'unknown'}); wait for it to finish deploying`);
  }
  let token: string | undefined;
  if (props.authMode === 'Key') {
    const keys = await azureCall(`keys of ${where}`, () => conn.client.onlineEndpoints.listKeys(resourceGroup, workspace, name));
    token = keys.primaryKey ?? keys.secondaryKey;
  } else if (props.authMode === 'AMLToken') {
    token = (await azureCall(`a token for ${where}`, () => conn.client.onlineEndpoints.getToken(resourceGroup, workspace, name))).accessToken;
  } else {
    token = (await azureCall(`an Entra token for ${where}`, () => conn.credential.getToken('https://ml.azure.com/.default')))?.token;
  }
  if (!token) throw new UserError(`Azure returned no credential for ${where}`);
  return { name, scoringUri: props.scoringUri, authorization: `Bearer ${token}`, authMode: props.authMode, traffic: props.traffic ?? {} };
}

/**
 * A raw ARM request on this workspace at the app's API version, for bodies
 * the SDK's 2022-10-01 models would drop fields from (e.g. a deployment's
 * `dataCollector`). `path` is relative to the workspace.
 */
export async function armJson(conn: AmlConnection, method: 'GET' | 'PUT', path: string, body?: unknown): Promise<HttpResponse> {
  const token = await conn.credential.getToken('https://management.azure.com/.default');
  if (!token) throw new UserError('Azure returned no token for Resource Manager; run `az login`');
  const url = `${conn.armBaseUrl}${workspacePath(conn.ref)}/${path}?api-version=${AML_API_VERSION}`;
  const response = await send({
    method,
    url,
    headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json', accept: 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(conn.ca ? { ca: conn.ca } : {}),
  });
  if (response.status >= 400) {
    const error = (response.json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw Object.assign(new Error(error?.message ?? `HTTP ${response.status} from ${method} ${path}`), { statusCode: response.status, code: error?.code });
  }
  return response;
}
