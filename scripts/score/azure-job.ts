/**
 * `rookery score --target azure`: the serving image scores the file as an
 * Azure ML command job on the app's scale-to-zero compute cluster. The job
 * mounts the input file, the registered model and an output folder, and runs
 * the image's own `rookery score` on the mounted paths, so the scoring is the
 * code path a local run takes. This process submits, shows progress until the
 * job ends, and prints where the scores are or the job's error in one line;
 * Ctrl-C cancels the job.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import type { JobBase } from '@azure/arm-machinelearning';
import { COMPUTE_CLUSTER, SCORE_EXPERIMENT } from '../../cloud/azure-batch.ts';
import { ENVIRONMENT_NAME } from '../../cloud/azure-ml.ts';
import { DEFAULT_MODEL_NAME } from '../../model/defaults.ts';
import { UserError } from '../../model/user-error.ts';
import { type AmlConnection, azureCall, connect, type ConnectionOptions, resolveWorkspace, workspacePath } from '../azure/connection.ts';
import { armJson } from '../azure/endpoint.ts';
import { numberFlag } from '../command.ts';
import { parseModelArg } from '../commands/azure-deploy.ts';
import { imageEntrypoint } from '../dockerfile.ts';
import { INTERRUPTED_EXIT, pause, withInterrupt } from '../traffic/interrupt.ts';
import { jobInputUri, jobOutputPlace } from './azure-data.ts';
import { scoreFormats, type ScoreFormat } from './format.ts';
import type { ScoreFlags } from './score-flags.ts';

/** Statuses after which a job changes no more (the API's JobStatus values). */
const FINAL = new Set(['Completed', 'Failed', 'Canceled', 'NotResponding', 'Paused']);

/** Everything one scoring job needs, resolved. */
export interface ScoreJobSpec {
  conn: AmlConnection;
  name: string;
  compute: string;
  /** Environment version of the serving image. */
  environmentVersion: string;
  model: { name: string; version: string };
  input: string;
  output: string;
  format: ScoreFormat;
  maxRejects: number;
}

/** Injectable for tests: where Azure is, how often to poll, and a signal standing in for Ctrl-C. */
export interface AzureScoreOptions extends ConnectionOptions {
  pollIntervalMs?: number;
  signal?: AbortSignal;
  /** Draws the status line in place (a terminal); else one line per status change. */
  tty?: boolean;
}

export function scoreOnAzure(flags: ScoreFlags, out: (line: string) => void): Promise<number> {
  return withInterrupt((signal) => runAzureScore(flags, out, { signal, tty: process.stderr.isTTY === true }));
}

/** Submits the job, waits for it and returns the exit status: 0 completed, 1 failed, 130 cancelled by Ctrl-C. */
export async function runAzureScore(flags: ScoreFlags, out: (line: string) => void, options: AzureScoreOptions = {}): Promise<number> {
  const text = (key: string) => (typeof flags[key] === 'string' ? (flags[key] as string) : undefined);
  const input = text('input');
  const output = text('output');
  if (!input || !output) throw new UserError(`${!input ? '--input' : '--output'} is required (see 'rookery score --help')`, { exitCode: 2 });
  if (text('rejects')) throw new UserError('--rejects is local only: on Azure ML the rejects are written next to the output (NAME.rejects.jsonl)', { exitCode: 2 });
  const place = jobOutputPlace(output);
  const format = scoreFormats(input, place.fileName, text('format'));
  const maxRejects = numberFlag('max-rejects', text('max-rejects'), 0, { integer: true, min: 0 });
  const ref = await resolveWorkspace({ subscriptionId: text('subscription'), resourceGroup: text('resource-group'), workspace: text('workspace') });
  const conn = await connect(ref, options);
  const model = await workspaceModel(conn, text('model'));
  const environmentVersion = text('environment') ?? (await newestVersion(conn, 'environment', ENVIRONMENT_NAME));
  const name = `rookery-score-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  // Ctrl-C before anything was submitted leaves nothing to cancel.
  if (options.signal?.aborted) return INTERRUPTED_EXIT;
  const spec: ScoreJobSpec = { conn, name, compute: text('compute') ?? COMPUTE_CLUSTER, environmentVersion, model, input, output, format, maxRejects };
  // A raw PUT: the SDK's serializer (2.1.1) drops `uri` and `mode` from every job input and output
  // (it looks their subtypes up under JobInput.*, its mappers file them under AssetJobInput.*).
  await azureCall(`compute cluster ${spec.compute} or environment ${ENVIRONMENT_NAME}:${environmentVersion}`, () => armJson(conn, 'PUT', `jobs/${name}`, scoreJobBody(spec)));
  out(`submitted Azure ML job ${name} on ${spec.compute}: scoring ${input} with ${model.name}:${model.version}`);
  return waitForJob(spec, out, options);
}

/** The command job: the image's entrypoint running `score` on the mounted input, model and output folder. */
export function scoreJobBody(spec: ScoreJobSpec): JobBase {
  const { nodeOptions, script } = imageEntrypoint();
  const place = jobOutputPlace(spec.output);
  const command = [
    'node', ...nodeOptions, script, 'score',
    '--input', '${{inputs.rows}}',
    '--model', '${{inputs.model}}',
    '--output', `\${{outputs.scores}}/${place.fileName}`,
    '--format', spec.format,
    '--max-rejects', String(spec.maxRejects),
  ].join(' ');
  const ws = workspacePath(spec.conn.ref);
  return {
    properties: {
      jobType: 'Command',
      displayName: `rookery score ${basename(spec.input)}`,
      experimentName: SCORE_EXPERIMENT,
      computeId: `${ws}/computes/${spec.compute}`,
      environmentId: `${ws}/environments/${ENVIRONMENT_NAME}/versions/${spec.environmentVersion}`,
      command,
      inputs: {
        rows: { jobInputType: 'uri_file', uri: jobInputUri(spec.input), mode: 'ReadOnlyMount' },
        model: { jobInputType: 'custom_model', uri: `azureml:${spec.model.name}:${spec.model.version}`, mode: 'ReadOnlyMount' },
      },
      outputs: { scores: { jobOutputType: 'uri_folder', uri: place.folderUri, mode: 'ReadWriteMount' } },
      // The compute's identity (ComputeCluster's job identity) reads and writes the data: no key or SAS in the job.
      identity: { identityType: 'Managed' },
      tags: { 'rookery:input': spec.input, 'rookery:output': spec.output },
    },
  };
}

/** `azureml:NAME:VERSION`, or the newest version of the default model. */
async function workspaceModel(conn: AmlConnection, flag: string | undefined): Promise<{ name: string; version: string }> {
  if (flag === undefined) return { name: DEFAULT_MODEL_NAME, version: await newestVersion(conn, 'model', DEFAULT_MODEL_NAME) };
  const arg = parseModelArg(flag);
  if (arg.kind !== 'workspace') {
    throw new UserError(`--model ${flag}: on Azure ML the model is one registered in the workspace, azureml:NAME:VERSION (\`rookery deploy azure\` or \`cdktf deploy azure\` registers it)`, { exitCode: 2 });
  }
  return { name: arg.name, version: arg.version };
}

async function newestVersion(conn: AmlConnection, kind: 'model' | 'environment', name: string): Promise<string> {
  const { resourceGroup: rg, workspace: ws } = conn.ref;
  return azureCall(`${kind} ${name}`, async () => {
    const list = kind === 'model' ? conn.client.modelVersions.list(rg, ws, name, { orderBy: 'createdtime desc', top: 1 }) : conn.client.environmentVersions.list(rg, ws, name, { orderBy: 'createdtime desc', top: 1 });
    for await (const version of list) if (version.name) return version.name;
    throw new UserError(`the workspace has no ${kind} ${name}: run \`cdktf deploy azure\` first, or pass --${kind} ${kind === 'model' ? 'azureml:NAME:VERSION' : 'VERSION'}`);
  });
}

/** Polls the job until it ends, a line per status change (or one status line in place on a terminal). */
async function waitForJob(spec: ScoreJobSpec, out: (line: string) => void, options: AzureScoreOptions): Promise<number> {
  const started = Date.now();
  let last = '';
  for (;;) {
    if (options.signal?.aborted) return cancel(spec, out);
    // Read raw for the same reason: the SDK's deserializer would drop the outputs' `uri`.
    const job = (await azureCall(`job ${spec.name}`, () => armJson(spec.conn, 'GET', `jobs/${spec.name}`))).json as JobBase;
    const status = job.properties.status ?? 'Unknown';
    const line = `job ${spec.name}: ${status} (${Math.round((Date.now() - started) / 1000)} s)`;
    if (options.tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (status !== last) out(line);
    last = status;
    if (FINAL.has(status)) {
      if (options.tty) process.stderr.write('\n');
      return finish(spec, job, out);
    }
    await pause(options.pollIntervalMs ?? 10_000, options.signal);
  }
}

function finish(spec: ScoreJobSpec, job: JobBase, out: (line: string) => void): number {
  const status = job.properties.status;
  const services = job.properties.services ?? {};
  if (status === 'Completed') {
    const folder = (job.properties as { outputs?: Record<string, { uri?: string }> }).outputs?.scores?.uri ?? jobOutputPlace(spec.output).folderUri;
    out(`scored: ${folder.replace(/\/?$/, '/')}${jobOutputPlace(spec.output).fileName}`);
    return 0;
  }
  // The job resource carries no error of its own; its services (Studio, Tracking) may, and Studio has the logs.
  const errors = Object.values(services).map((s) => s?.errorMessage).filter((m): m is string => Boolean(m));
  const studio = services.Studio?.endpoint;
  throw new UserError(`Azure ML job ${spec.name} ended ${status}${errors.length ? `: ${errors.join('; ').replace(/\s+/g, ' ')}` : ''}${studio ? ` (logs: ${studio})` : ''}`);
}

async function cancel(spec: ScoreJobSpec, out: (line: string) => void): Promise<number> {
  const { resourceGroup: rg, workspace: ws } = spec.conn.ref;
  // Sends the cancel request; Azure finishes cancelling on its own, so this does not wait for it.
  await azureCall(`job ${spec.name}`, () => spec.conn.client.jobs.beginCancel(rg, ws, spec.name));
  out(`interrupted: cancelling Azure ML job ${spec.name}`);
  return INTERRUPTED_EXIT;
}
