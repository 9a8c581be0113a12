import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { connect, type AmlConnection } from '../../scripts/azure/connection.ts';
import { chooseSlots, deployModel, type DeployRequest } from '../../scripts/azure/deploy.ts';
import { ArmDouble, FakeCredential, RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE } from './arm-double.ts';
import { rejection } from '../helpers/rejection.ts';

let arm: ArmDouble;
let conn: AmlConnection;
let lines: string[];
const ENDPOINT = 'rktest-endpoint';

beforeEach(async () => {
  arm = await ArmDouble.start();
  arm.seedEndpoint(ENDPOINT);
  conn = await connect({ subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE }, { credential: new FakeCredential(), armBaseUrl: arm.url, ca: arm.ca });
  lines = [];
});
afterEach(() => arm.close());

const request = (extra: Partial<DeployRequest> = {}): DeployRequest => ({
  endpoint: ENDPOINT,
  modelId: `${arm.workspacePrefix}/models/penguins/versions/4`,
  modelLabel: 'penguins:4',
  probeBody: { dataframe_records: [{ island: 'Dream' }] },
  pollIntervalMs: 1,
  out: (line) => lines.push(line),
  ...extra,
});

describe('deployModel (blue/green)', () => {
  it('creates green from blue with the new model, waits for it, probes it, then moves traffic and deletes blue', async () => {
    const outcome = await deployModel(conn, request());
    expect(outcome).toEqual({ previous: 'blue', current: 'green' });

    const put = arm.armRequests('PUT').find((r) => r.path.endsWith('/deployments/green'))!;
    const body = JSON.parse(put.body);
    expect(put.query.get('api-version')).toBe('2026-05-01');
    expect(body.properties.model).toBe(`${arm.workspacePrefix}/models/penguins/versions/4`);
    // Everything else comes from the live slot, including what the SDK's older models would drop.
    expect(body.properties.dataCollector).toEqual({ collections: { request: { dataCollectionMode: 'Enabled', samplingRate: 1 } }, rollingRate: 'Hour' });
    expect(body.properties.environmentId).toBe(`${arm.workspacePrefix}/environments/rookery-serve/versions/abc`);
    expect(body.properties.provisioningState).toBeUndefined();
    expect(body.sku).toEqual({ name: 'Default', capacity: 1 });
    expect(body.id).toBeUndefined();
    expect(body.systemData).toBeUndefined();

    // Progress was polled until Succeeded, and the probe went to green before any traffic did.
    expect(lines).toContain('green: Creating (0m00s)');
    expect(lines.some((l) => /^green: Succeeded \(\dm\d\ds\)$/.test(l))).toBe(true);
    const probe = arm.requests.find((r) => r.path === '/score')!;
    expect(probe.headers['azureml-model-deployment']).toBe('green');
    expect(probe.headers.authorization).toBe('Bearer primary-endpoint-key');

    // Traffic moved with an ARM long-running PUT (Azure-AsyncOperation polled), then blue was deleted (Location polled).
    const trafficPut = arm.armRequests('PUT').find((r) => r.path.endsWith(`/onlineEndpoints/${ENDPOINT}`))!;
    expect(JSON.parse(trafficPut.body).properties.traffic).toEqual({ green: 100 });
    expect(arm.requests.filter((r) => r.path.startsWith('/operations/')).length).toBeGreaterThanOrEqual(2);
    expect(arm.requests.filter((r) => r.path.startsWith('/locations/')).length).toBeGreaterThanOrEqual(2);
    expect(arm.endpoints.get(ENDPOINT)!.traffic).toEqual({ green: 100 });
    expect([...arm.deployments.keys()]).toEqual([`${ENDPOINT}/green`]);
    expect(lines.at(-1)).toBe(`${ENDPOINT} now serves penguins:4 from green`);
    expect(arm.requests.findIndex((r) => r.path === '/score')).toBeLessThan(arm.requests.indexOf(trafficPut));
  });

  it('goes back to blue from green, resizing when asked', async () => {
    arm.endpoints.clear();
    arm.deployments.clear();
    arm.seedEndpoint(ENDPOINT, 'green');
    const outcome = await deployModel(conn, request({ instanceType: 'Standard_F4s_v2', instanceCount: 2 }));
    expect(outcome).toEqual({ previous: 'green', current: 'blue' });
    const body = JSON.parse(arm.armRequests('PUT').find((r) => r.path.endsWith('/deployments/blue'))!.body);
    expect(body.properties.instanceType).toBe('Standard_F4s_v2');
    expect(body.sku.capacity).toBe(2);
  });

  it('leaves traffic on blue, shows the logs and removes green when provisioning fails', async () => {
    arm.failProvisioning.add('green');
    const err = await rejection(deployModel(conn, request()));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe('deployment green of penguins:4 failed (provisioning Failed); traffic stays on blue');
    expect(lines).toContain('  green | model failed to load: MLmodel not found');
    expect(lines).toContain('deleted the failed deployment green');
    expect(arm.endpoints.get(ENDPOINT)!.traffic).toEqual({ blue: 100 });
    expect([...arm.deployments.keys()]).toEqual([`${ENDPOINT}/blue`]);
    expect(arm.requests.some((r) => r.path === '/score')).toBe(false);
  });

  it('leaves traffic on blue when green provisions but answers the probe wrongly, keeping green if asked', async () => {
    arm.brokenScoring.add('green');
    const err = await rejection(deployModel(conn, request({ keepFailed: true })));
    expect(err.message).toMatch(/^deployment green of penguins:4 failed \(probe answered HTTP 424: .*\); traffic stays on blue$/);
    expect(arm.endpoints.get(ENDPOINT)!.traffic).toEqual({ blue: 100 });
    expect([...arm.deployments.keys()].sort()).toEqual([`${ENDPOINT}/blue`, `${ENDPOINT}/green`]);
    expect(lines.some((l) => l.startsWith('kept green for inspection; delete it with: az ml online-deployment delete --name green'))).toBe(true);
  });

  it('gives up after the timeout without touching traffic', async () => {
    arm.provisioningPolls = 1_000;
    let clock = 0;
    const err = await rejection(deployModel(conn, request({ timeoutMs: 60_000, now: () => (clock += 20_000) })));
    expect(err.message).toMatch(/^deployment green of penguins:4 failed \(still Creating after \dm\d\ds\); traffic stays on blue$/);
    expect(arm.endpoints.get(ENDPOINT)!.traffic).toEqual({ blue: 100 });
  });

  it('clears an idle slot left by an earlier rollout before reusing its name', async () => {
    await deployModel(conn, request());
    arm.failProvisioning.add('blue');
    await rejection(deployModel(conn, request({ keepFailed: true })));
    lines = [];
    arm.failProvisioning.clear();
    await deployModel(conn, request());
    expect(lines).toContain('removing idle deployment blue left by an earlier rollout');
    expect(arm.endpoints.get(ENDPOINT)!.traffic).toEqual({ blue: 100 });
  });

  it('skips the probe, saying so, when there is no example request', async () => {
    await deployModel(conn, request({ probeBody: undefined }));
    expect(lines).toContain("no example request to probe green with; Azure's readiness probe passed");
  });
});

describe('chooseSlots', () => {
  it('picks the slot with the most traffic as live and the other colour as next', () => {
    expect(chooseSlots({ blue: 100 })).toEqual({ live: 'blue', next: 'green' });
    expect(chooseSlots({ green: 90, blue: 10 })).toEqual({ live: 'green', next: 'blue' });
    expect(chooseSlots({ main: 100 })).toEqual({ live: 'main', next: 'blue' });
    expect(() => chooseSlots({})).toThrow(/sends no traffic to any deployment/);
  });
});
