import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../scripts/cli.ts';
import { commands } from '../../scripts/commands/index.ts';
import { imageEntrypoint } from '../../scripts/dockerfile.ts';
import { jobInputUri, jobOutputPlace } from '../../scripts/score/azure-data.ts';
import { runAzureScore } from '../../scripts/score/azure-job.ts';
import { armModelProblems } from '../helpers/arm-model.ts';
import { ArmDouble, FakeCredential, RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE } from './arm-double.ts';
import { errorOf } from './fixtures.ts';

/**
 * Beyond the SDK's model, ARM's own examples (Azure/azure-rest-api-specs, specification/machinelearningservices/
 * resource-manager/Microsoft.MachineLearningServices/stable/2026-05-01/examples/Job/CommandJob/createOrUpdate.json
 * and Job/cancel.json): a job PUT answers 200/201 synchronously with status NotStarted; a job's only error
 * text is its services' errorMessage; cancel answers 200/202 with a Location. The ArmDouble follows them.
 */
const ACCOUNT = 'https://rkteststorage.blob.core.windows.net';
const WORKSPACE_FLAGS = { subscription: SUBSCRIPTION, 'resource-group': RESOURCE_GROUP, workspace: WORKSPACE };

describe('rookery score --target azure against the ARM double', () => {
  let arm: ArmDouble;
  let lines: string[];
  beforeEach(async () => {
    arm = await ArmDouble.start();
    lines = [];
  });
  afterEach(async () => {
    // The double answers about a job, in every status, as the service model describes a JobBase.
    for (const [name, job] of arm.jobs) {
      for (const status of ['NotStarted', ...arm.jobStatuses, ...job.statuses]) expect(armModelProblems('JobBase', arm.jobJson(name, status), 'response')).toEqual([]);
    }
    await arm.close();
  });
  const connection = (extra: { signal?: AbortSignal } = {}) => ({ credential: new FakeCredential(), armBaseUrl: arm.url, ca: arm.ca, pollIntervalMs: 1, ...extra });
  const run = (flags: Record<string, string>, extra: { signal?: AbortSignal } = {}) =>
    runAzureScore({ ...WORKSPACE_FLAGS, ...flags }, (l) => lines.push(l), connection(extra));

  it('submits a command job the SDK model accepts, running the image on the mounted input, model and output folder', async () => {
    const status = await run({ input: `${ACCOUNT}/rookery-batch/in/2026-12-01.csv`, output: `${ACCOUNT}/rookery-batch/scores/2026-12-01.csv`, model: 'azureml:penguins:3', 'max-rejects': '5' });
    expect(status).toBe(0);
    const [put] = arm.armRequests('PUT');
    expect(put.path).toMatch(new RegExp(`^${arm.workspacePrefix}/jobs/rookery-score-\\d{14}-[0-9a-f]{6}$`));
    expect(put.query.get('api-version')).toBe('2026-05-01');
    const body = JSON.parse(put.body);
    expect(armModelProblems('JobBase', body)).toEqual([]);
    // ARM semantics beyond the model (REST spec, CommandJob): computeId and environmentId are ARM resource IDs in the workspace.
    const p = body.properties;
    expect(p.jobType).toBe('Command');
    expect(p.computeId).toBe(`${arm.workspacePrefix}/computes/rookery-cpu`);
    expect(p.environmentId).toBe(`${arm.workspacePrefix}/environments/rookery-serve/versions/0a1b2c3d4e5f`);
    expect(p.experimentName).toBe('rookery-score');
    expect(p.identity).toEqual({ identityType: 'Managed' });
    expect(p.inputs).toEqual({
      rows: { jobInputType: 'uri_file', uri: `${ACCOUNT}/rookery-batch/in/2026-12-01.csv`, mode: 'ReadOnlyMount' },
      model: { jobInputType: 'custom_model', uri: 'azureml:penguins:3', mode: 'ReadOnlyMount' },
    });
    expect(p.outputs).toEqual({ scores: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/rookery_batch/paths/scores/', mode: 'ReadWriteMount' } });
    // The image's own ENTRYPOINT (read from the Dockerfile) runs `score`, on the paths Azure ML substitutes.
    const { nodeOptions, script } = imageEntrypoint();
    expect(p.command).toBe(
      ['node', ...nodeOptions, script, 'score', '--input', '${{inputs.rows}}', '--model', '${{inputs.model}}', '--output', '${{outputs.scores}}/2026-12-01.csv', '--format', 'csv', '--max-rejects', '5'].join(' '),
    );
    expect(lines[0]).toMatch(/^submitted Azure ML job rookery-score-\d{14}-[0-9a-f]{6} on rookery-cpu: scoring .*2026-12-01\.csv with penguins:3$/);
    expect(lines.slice(1, -1).map((l) => l.replace(/^job \S+: (\w+) .*$/, '$1'))).toEqual(['NotStarted', 'Queued', 'Running', 'Completed']);
    expect(lines.at(-1)).toBe('scored: azureml://datastores/rookery_batch/paths/scores/2026-12-01.csv');
  });

  it('defaults to the newest penguins model and serving environment in the workspace', async () => {
    expect(await run({ input: 'azureml://datastores/workspaceblobstore/paths/batch/in.jsonl', output: 'azureml://datastores/workspaceblobstore/paths/out/scored.jsonl' })).toBe(0);
    const lists = arm.armRequests('GET').filter((r) => r.path.endsWith('/versions'));
    expect(lists.map((r) => [r.path.slice(arm.workspacePrefix.length), r.query.get('$orderBy'), r.query.get('$top')])).toEqual([
      ['/models/penguins/versions', 'createdtime desc', '1'],
      ['/environments/rookery-serve/versions', 'createdtime desc', '1'],
    ]);
    const p = JSON.parse(arm.armRequests('PUT')[0].body).properties;
    expect(p.inputs.model.uri).toBe('azureml:penguins:4');
    expect(p.command).toContain('--format jsonl');
  });

  it("prints a failed job's error in one line, with its logs' address, and exits 1", async () => {
    arm.jobStatuses = ['Queued', 'Running', 'Failed'];
    arm.jobServices = {
      Studio: { jobServiceType: 'Studio', endpoint: 'https://ml.azure.com/runs/x' },
      Tracking: { jobServiceType: 'Tracking', errorMessage: 'UserError: exit code 1:\nrookery: cannot read /mnt/in.csv' },
    };
    const message = await errorOf(() => run({ input: `${ACCOUNT}/rookery-batch/in.csv`, output: `${ACCOUNT}/rookery-batch/out.csv`, model: 'azureml:penguins:3' }));
    expect(message).toMatch(/^Azure ML job rookery-score-\S+ ended Failed: UserError: exit code 1: rookery: cannot read \/mnt\/in\.csv \(logs: https:\/\/ml\.azure\.com\/runs\/x\)$/);
    expect(message).not.toContain('\n');
    await expect(main(['score', '--target', 'azure', '--input', 'batch.csv', '--output', 'out.csv'], commands)).rejects.toMatchObject({ exitCode: 2 });
  });

  it('on a terminal redraws one status line on stderr instead of printing a line per status', async () => {
    const drawn: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (drawn.push(String(chunk)), true));
    try {
      const status = await runAzureScore(
        { ...WORKSPACE_FLAGS, input: `${ACCOUNT}/rookery-batch/in.csv`, output: `${ACCOUNT}/rookery-batch/out.csv`, model: 'azureml:penguins:3' },
        (l) => lines.push(l),
        { ...connection(), tty: true },
      );
      expect(status).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['submitted', 'scored:']);
    expect(drawn.slice(0, -1).every((d) => d.startsWith('\r\x1b[2Kjob rookery-score-'))).toBe(true);
    expect(drawn.slice(0, -1).map((d) => d.replace(/^[\s\S]*: (\w+) \(\d+ s\)$/, '$1'))).toEqual(['NotStarted', 'Queued', 'Running', 'Completed']);
    expect(drawn.at(-1)).toBe('\n');
  });

  it('submits nothing when interrupted before the job is sent', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await run({ input: `${ACCOUNT}/rookery-batch/in.csv`, output: `${ACCOUNT}/rookery-batch/out.csv`, model: 'azureml:penguins:3' }, { signal: controller.signal })).toBe(130);
    expect(arm.armRequests('PUT')).toEqual([]);
  });

  it('cancels the job when interrupted and exits 130', async () => {
    arm.jobStatuses = ['Queued', 'Running'];
    const controller = new AbortController();
    const status = await runAzureScore(
      { ...WORKSPACE_FLAGS, input: `${ACCOUNT}/rookery-batch/in.csv`, output: `${ACCOUNT}/rookery-batch/out.csv`, model: 'azureml:penguins:3' },
      (l) => {
        lines.push(l);
        if (/: Running /.test(l)) controller.abort();
      },
      connection({ signal: controller.signal }),
    );
    expect(status).toBe(130);
    const cancel = arm.armRequests('POST').filter((r) => r.path.endsWith('/cancel'));
    expect(cancel).toHaveLength(1);
    expect(cancel[0].path).toMatch(/\/jobs\/rookery-score-[^/]+\/cancel$/);
    expect(lines.at(-1)).toMatch(/^interrupted: cancelling Azure ML job rookery-score-/);
  });
});

describe('Azure ML locations for score', () => {
  it('reads a blob URL, a datastore path or a data asset as the input', () => {
    expect(jobInputUri(`${ACCOUNT}/batch1/dir/in.parquet`)).toBe(`${ACCOUNT}/batch1/dir/in.parquet`);
    expect(jobInputUri('azureml://datastores/workspaceblobstore/paths/a/b.csv')).toBe('azureml://datastores/workspaceblobstore/paths/a/b.csv');
    expect(jobInputUri('azureml:penguins-batch:2')).toBe('azureml:penguins-batch:2');
  });

  it('writes through a datastore: the batch container by its datastore, any datastore path as given', () => {
    expect(jobOutputPlace(`${ACCOUNT}/rookery-batch/scores/day.csv`)).toEqual({ folderUri: 'azureml://datastores/rookery_batch/paths/scores/', fileName: 'day.csv' });
    expect(jobOutputPlace('azureml://datastores/ws_store/paths/x/y/z.jsonl')).toEqual({ folderUri: 'azureml://datastores/ws_store/paths/x/y/', fileName: 'z.jsonl' });
  });

  it.each([
    ['a local path', () => jobInputUri('data/penguins.csv'), /upload a local file first/],
    ['an s3 URI', () => jobInputUri('s3://b/k.csv'), /blob URL .* datastore path .* data asset/],
    ['azurite over http', () => jobInputUri('http://127.0.0.1:10000/devstoreaccount1/batch1/in.csv'), /not reachable from Azure ML/],
    ['a blob folder', () => jobInputUri(`${ACCOUNT}/batch1/dir/`), /names a folder/],
    ['an output outside the batch container', () => jobOutputPlace(`${ACCOUNT}/other/x.csv`), /through datastores only/],
    ['an output folder', () => jobOutputPlace('azureml://datastores/d/paths/out/'), /names a folder/],
    ['an output name the shell would split', () => jobOutputPlace('azureml://datastores/d/paths/out/a b.csv'), /may hold only/],
  ])('refuses %s with one line and exit 2', (_what, fn, message) => {
    expect(fn).toThrow(message);
    try {
      fn();
    } catch (err) {
      expect((err as { exitCode?: number }).exitCode).toBe(2);
    }
  });
});

describe('why the job is sent with a raw PUT', () => {
  it("@azure/arm-machinelearning's own serializer drops uri and mode from job inputs and outputs (when this fails, the SDK is fixed: submit with jobs.createOrUpdate)", async () => {
    const { createSerializer } = await import('@azure/core-client');
    const all = await import('@azure/arm-machinelearning/dist-esm/src/models/mappers.js');
    const body = {
      properties: {
        jobType: 'Command', command: 'x', environmentId: 'e',
        inputs: { rows: { jobInputType: 'uri_file', uri: 'https://a.blob.core.windows.net/c1c/x.csv', mode: 'ReadOnlyMount' } },
        outputs: { scores: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/d/paths/p/', mode: 'ReadWriteMount' } },
      },
    };
    const sent = createSerializer(all as never, false).serialize((all as any).JobBase, body);
    expect(sent.properties.inputs.rows).toEqual({ jobInputType: 'uri_file' });
    expect(sent.properties.outputs.scores).toEqual({ jobOutputType: 'uri_folder' });
    expect(armModelProblems('JobBase', sent)).toEqual(['JobBase.properties.inputs.rows.uri: required by UriFileJobInput, missing']);
  });
});

describe('the ARM model checker', () => {
  it('finds what the service model refuses: a missing required member, an unknown one, a wrong type, a read-only one, an unknown subtype', () => {
    const good = { properties: { jobType: 'Command', command: 'x', environmentId: 'e' } };
    expect(armModelProblems('JobBase', good)).toEqual([]);
    expect(armModelProblems('JobBase', { properties: { jobType: 'Command', environmentId: 'e' } })).toEqual(['JobBase.properties.command: required by CommandJob, missing']);
    expect(armModelProblems('JobBase', { properties: { ...good.properties, computeName: 'c' } })).toEqual(['JobBase.properties.computeName: not a member of CommandJob']);
    expect(armModelProblems('JobBase', { properties: { ...good.properties, inputs: { a: { jobInputType: 'uri_file', uri: 7 } } } })).toEqual(['JobBase.properties.inputs.a.uri: expected a string, got 7']);
    expect(armModelProblems('JobBase', { properties: { ...good.properties, status: 'Running' } })).toEqual(['JobBase.properties.status: read-only in CommandJob, a client does not send it']);
    expect(armModelProblems('JobBase', { properties: { ...good.properties, status: 'Running' } }, 'response')).toEqual([]);
    expect(armModelProblems('JobBase', { properties: { ...good.properties, outputs: { o: { jobOutputType: 'uri_fold' } } } })).toEqual([
      'JobBase.properties.outputs.o.jobOutputType: "uri_fold" is no subtype of JobOutput',
    ]);
  });
});
