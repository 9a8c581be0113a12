import { AuthenticationError, CredentialUnavailableError } from '@azure/identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { LOGIN_MESSAGE, resolveWorkspace } from '../../scripts/azure/connection.ts';
import { send } from '../../scripts/azure/http.ts';
import { azureTarget } from '../../scripts/azure/target.ts';
import { ArmDouble, FakeCredential, RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE } from './arm-double.ts';
import { rejection } from '../helpers/rejection.ts';

let arm: ArmDouble;
beforeEach(async () => {
  arm = await ArmDouble.start();
  arm.seedEndpoint('rktest-endpoint');
});
afterEach(() => arm.close());

const workspace = { subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE };
const options = (extra: object = {}) => ({ endpoint: 'rktest-endpoint', ...workspace, credential: new FakeCredential(), armBaseUrl: arm.url, ca: arm.ca, ...extra });

describe('azureTarget', () => {
  it('reads the scoring URI and key from the workspace, then scores with the key', async () => {
    const credential = new FakeCredential();
    const target = await azureTarget(options({ credential }));
    expect(target.name).toBe('azure');
    expect(target.destination).toBe(`${arm.url}/score (endpoint rktest-endpoint)`);

    const [get, listKeys] = arm.armRequests();
    expect([get.method, get.path]).toEqual(['GET', `${arm.workspacePrefix}/onlineEndpoints/rktest-endpoint`]);
    expect([listKeys.method, listKeys.path]).toEqual(['POST', `${arm.workspacePrefix}/onlineEndpoints/rktest-endpoint/listKeys`]);
    expect(listKeys.query.get('api-version')).toBe('2026-05-01');
    expect(credential.scopes).toEqual(['https://management.azure.com/.default']);

    const body = { dataframe_records: [{ island: 'Torgersen', bill_length_mm: 39.1 }, { island: 'Biscoe', bill_length_mm: 46.5 }] };
    const result = await target.invoke(body);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ predictions: [{ prediction: 'Adelie', confidence: 0.97 }, { prediction: 'Adelie', confidence: 0.97 }] });
    expect(result.latencyMs).toBeGreaterThan(0);
    const scoring = arm.requests.at(-1)!;
    expect(scoring.headers.authorization).toBe('Bearer primary-endpoint-key');
    expect(scoring.headers['content-type']).toBe('application/json');
    expect(JSON.parse(scoring.body)).toEqual(body);
  });

  it('pins requests to one deployment when asked', async () => {
    const target = await azureTarget(options({ deployment: 'blue' }));
    await target.invoke({ dataframe_records: [{}] });
    expect(arm.requests.at(-1)!.headers['azureml-model-deployment']).toBe('blue');
    expect(target.destination).toContain('deployment blue');
  });

  it('passes the scoring answer through when the container fails', async () => {
    arm.brokenScoring.add('blue');
    const target = await azureTarget(options());
    const result = await target.invoke({ dataframe_records: [{}] });
    expect(result.status).toBe(424);
    expect(result.body).toEqual({ message: 'An unexpected error occurred in scoring script.' });
  });

  it.each([
    ['CredentialUnavailableError', new CredentialUnavailableError('DefaultAzureCredential failed to retrieve a token from the included credentials.')],
    ['AuthenticationError', new AuthenticationError(400, { error: 'invalid_grant', error_description: 'AADSTS700082: The refresh token has expired' })],
  ])('says to run az login, in one line, when DefaultAzureCredential has no login (%s)', async (_name, error) => {
    const err = await rejection(azureTarget(options({ credential: new FakeCredential(error) })));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(LOGIN_MESSAGE);
    expect(err.message).toBe('not logged in to Azure: run `az login` (and `az account set --subscription ...`)');
  });

  it('names the endpoint and workspace when the endpoint does not exist', async () => {
    const err = await rejection(azureTarget(options({ endpoint: 'nope' })));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`online endpoint "nope" in workspace ${WORKSPACE} (resource group ${RESOURCE_GROUP}) not found (online endpoint nope does not exist)`);
  });

  it('says which role is missing when Azure refuses the keys', async () => {
    arm.refuse.set(`${arm.workspacePrefix}/onlineEndpoints/rktest-endpoint/listKeys`, 403);
    const err = await rejection(azureTarget(options()));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/^Azure refused access to keys of online endpoint "rktest-endpoint" .* \(HTTP 403 AuthorizationFailed\): your account needs Contributor or AzureML Data Scientist/);
  });
});

describe('resolveWorkspace', () => {
  it('derives the resource group and workspace from the prefix exactly as the Azure app names them', async () => {
    const ref = await resolveWorkspace({}, { ROOKERY_AZURE_PREFIX: 'rktest', AZURE_SUBSCRIPTION_ID: SUBSCRIPTION });
    expect(ref).toEqual(workspace);
  });

  it('prefers flags, then explicit variables', async () => {
    const env = { ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_AZURE_RESOURCE_GROUP: 'rg-env', ARM_SUBSCRIPTION_ID: SUBSCRIPTION };
    expect(await resolveWorkspace({ workspace: 'ws-flag' }, env)).toEqual({ subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-env', workspace: 'ws-flag' });
  });

  it('explains what is missing', async () => {
    const noGroup = await rejection(resolveWorkspace({}, { AZURE_SUBSCRIPTION_ID: SUBSCRIPTION }));
    expect(noGroup.message).toBe('no resource group: pass --resource-group, set ROOKERY_AZURE_RESOURCE_GROUP, or set ROOKERY_AZURE_PREFIX to the prefix `cdktf deploy azure` used');
    const badSub = await rejection(resolveWorkspace({ subscriptionId: 'my-sub' }, { ROOKERY_AZURE_PREFIX: 'rktest' }));
    expect(badSub.message).toContain('"my-sub" is not a subscription ID');
    const badPrefix = await rejection(resolveWorkspace({}, { ROOKERY_AZURE_PREFIX: 'Bad' }));
    expect(badPrefix.message).toContain('ROOKERY_AZURE_PREFIX="Bad" is not a valid name prefix');
  });
});

describe('the HTTPS client', () => {
  it('never sends credentials over plain HTTP to another host', async () => {
    await expect(send({ method: 'POST', url: 'http://example.com/score', headers: { authorization: 'Bearer k' } })).rejects.toThrow(/only https:\/\//);
  });
});
