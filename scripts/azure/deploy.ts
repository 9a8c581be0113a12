/**
 * Blue/green rollout of a new model on an Azure ML managed online endpoint:
 * create the idle slot next to the live one (same image, probes, size and
 * payload logging, new model), wait until Azure reports it healthy, score one
 * request through the endpoint pinned to it, then move all traffic and delete
 * the old slot. Any failure before the traffic switch leaves traffic where it
 * was.
 */
import { UserError } from '../../model/user-error.ts';
import { azureCall, type AmlConnection } from './connection.ts';
import { armJson, endpointAccess } from './endpoint.ts';
import { score } from './target.ts';

export const SLOTS = ['blue', 'green'] as const;

export interface DeployRequest {
  endpoint: string;
  /** ARM ID of the model version to serve. */
  modelId: string;
  /** `name:version`, for messages. */
  modelLabel: string;
  instanceType?: string;
  instanceCount?: number;
  /** A scoring request to send to the new deployment before it takes traffic; skipped when absent. */
  probeBody?: unknown;
  /** Delete a deployment that failed (default) or keep it for inspection. */
  keepFailed?: boolean;
  pollIntervalMs?: number;
  timeoutMs?: number;
  out: (line: string) => void;
  now?: () => number;
}

export interface DeployOutcome {
  previous: string;
  current: string;
}

const TERMINAL = new Set(['Succeeded', 'Failed', 'Canceled']);
const READ_ONLY = ['id', 'name', 'type', 'systemData'];

function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The live slot (most traffic) and the one to deploy into. */
export function chooseSlots(traffic: Record<string, number>): { live: string; next: string } {
  const live = Object.entries(traffic)
    .filter(([, percent]) => percent > 0)
    .sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!live) throw new UserError('the endpoint sends no traffic to any deployment: deploy the stack first (`cdktf deploy azure`)');
  return { live, next: live === 'blue' ? 'green' : 'blue' };
}

export async function deployModel(conn: AmlConnection, req: DeployRequest): Promise<DeployOutcome> {
  const { resourceGroup: rg, workspace: ws } = conn.ref;
  const { out } = req;
  const now = req.now ?? (() => Date.now());
  const poll = req.pollIntervalMs ?? 10_000;
  const lro = { updateIntervalInMs: poll };
  const where = `endpoint ${req.endpoint} in workspace ${ws}`;

  const endpoint = await azureCall(where, () => conn.client.onlineEndpoints.get(rg, ws, req.endpoint));
  const { live, next } = chooseSlots(endpoint.properties.traffic ?? {});
  out(`${req.endpoint}: ${live} takes ${endpoint.properties.traffic?.[live]}% of traffic; deploying ${req.modelLabel} to ${next}`);

  const existing = await conn.client.onlineDeployments.get(rg, ws, req.endpoint, next).catch((err: { statusCode?: number }) => {
    if (err.statusCode === 404) return undefined;
    throw err;
  });
  if (existing) {
    out(`removing idle deployment ${next} left by an earlier rollout`);
    await azureCall(`deleting deployment ${next}`, () => conn.client.onlineDeployments.beginDeleteAndWait(rg, ws, req.endpoint, next, lro));
  }

  // Copy the live deployment through the raw API so fields the SDK's older
  // models lack (the data collector, startup probes) carry over unchanged.
  const current = (await azureCall(`deployment ${live}`, () => armJson(conn, 'GET', `onlineEndpoints/${req.endpoint}/deployments/${live}`))).json as Record<string, any>;
  const body: Record<string, any> = Object.fromEntries(Object.entries(current).filter(([k]) => !READ_ONLY.includes(k)));
  const { provisioningState: _state, ...properties } = current.properties ?? {};
  body.properties = {
    ...properties,
    model: req.modelId,
    description: `${req.modelLabel} (rookery deploy azure)`,
    ...(req.instanceType ? { instanceType: req.instanceType } : {}),
  };
  body.sku = { ...(current.sku ?? { name: 'Default' }), ...(req.instanceCount ? { capacity: req.instanceCount } : {}) };
  out(`creating deployment ${next}: ${req.modelLabel} on ${body.properties.instanceType} x${body.sku.capacity ?? 1}`);
  await azureCall(`creating deployment ${next}`, () => armJson(conn, 'PUT', `onlineEndpoints/${req.endpoint}/deployments/${next}`, body));

  const started = now();
  const deadline = started + (req.timeoutMs ?? 45 * 60_000);
  let state = '';
  let lastReport = started;
  for (;;) {
    const d = await azureCall(`deployment ${next}`, () => conn.client.onlineDeployments.get(rg, ws, req.endpoint, next));
    const s = d.properties.provisioningState ?? 'Unknown';
    if (s !== state || now() - lastReport >= 60_000) {
      out(`${next}: ${s} (${minutes(now() - started)})`);
      state = s;
      lastReport = now();
    }
    if (TERMINAL.has(s)) break;
    if (now() > deadline) {
      throw await failed(conn, req, next, live, `still ${s} after ${minutes(now() - started)}`);
    }
    await sleep(poll);
  }
  if (state !== 'Succeeded') throw await failed(conn, req, next, live, `provisioning ${state}`);

  if (req.probeBody === undefined) {
    out(`no example request to probe ${next} with; Azure's readiness probe passed`);
  } else {
    const access = await endpointAccess(conn, req.endpoint);
    const answer = await score(access, req.probeBody, { deployment: next, ...(conn.ca ? { ca: conn.ca } : {}) });
    const predictions = (answer.body as { predictions?: unknown[] } | undefined)?.predictions;
    if (answer.status !== 200 || !Array.isArray(predictions)) {
      throw await failed(conn, req, next, live, `probe answered HTTP ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
    }
    out(`${next} answered the probe: ${JSON.stringify(predictions).slice(0, 120)}`);
  }

  const latest = await azureCall(where, () => conn.client.onlineEndpoints.get(rg, ws, req.endpoint));
  latest.properties.traffic = { [next]: 100 };
  await azureCall(`moving traffic on ${where}`, () => conn.client.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, req.endpoint, latest, lro));
  out(`traffic: ${next} 100%`);

  out(`deleting ${live}`);
  await azureCall(`deleting deployment ${live}`, () => conn.client.onlineDeployments.beginDeleteAndWait(rg, ws, req.endpoint, live, lro));
  out(`${req.endpoint} now serves ${req.modelLabel} from ${next}`);
  return { previous: live, current: next };
}

/** Prints the new deployment's last log lines, removes it unless asked to keep it, and returns the error to throw. */
async function failed(conn: AmlConnection, req: DeployRequest, next: string, live: string, why: string): Promise<UserError> {
  const { resourceGroup: rg, workspace: ws } = conn.ref;
  try {
    const logs = await conn.client.onlineDeployments.getLogs(rg, ws, req.endpoint, next, { containerType: 'InferenceServer', tail: 30 });
    for (const line of (logs.content ?? '').split('\n').filter(Boolean).slice(-30)) req.out(`  ${next} | ${line}`);
  } catch {
    req.out(`  (no logs available from ${next})`);
  }
  if (req.keepFailed) {
    req.out(`kept ${next} for inspection; delete it with: az ml online-deployment delete --name ${next} --endpoint-name ${req.endpoint} -g ${rg} -w ${ws} --yes`);
  } else {
    try {
      await conn.client.onlineDeployments.beginDeleteAndWait(rg, ws, req.endpoint, next, { updateIntervalInMs: req.pollIntervalMs ?? 10_000 });
      req.out(`deleted the failed deployment ${next}`);
    } catch {
      req.out(`could not delete ${next}; delete it with: az ml online-deployment delete --name ${next} --endpoint-name ${req.endpoint} -g ${rg} -w ${ws} --yes`);
    }
  }
  return new UserError(`deployment ${next} of ${req.modelLabel} failed (${why}); traffic stays on ${live}`);
}
