/**
 * `rookery monitor --publish-azure`'s requests against a local HTTPS double of
 * Azure Monitor's custom-metrics ingestion, each body checked against the
 * schema the REST page publishes ("Ingest custom metrics for an Azure resource
 * using the REST API",
 * https://learn.microsoft.com/azure/azure-monitor/essentials/metrics-store-custom-rest-api):
 * `time` (ISO 8601, within 20 minutes before and 5 after now) and
 * `data.baseData` with `metric`, `namespace`, `dimNames` (up to 10) and
 * `series` of `dimValues` (one per dimName), `min`, `max`, `sum`, `count`;
 * one metric per POST to `<resourceId>/metrics`, with a bearer token for
 * https://monitoring.azure.com/.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIFTED_COLUMNS_METRIC, MONITOR_METRIC_NAMESPACE } from '../../cloud/monitor-metrics.ts';
import { UserError } from '../../model/user-error.ts';
import { azureMetricBodies, publishAzureMetrics } from '../../scripts/azure/metrics.ts';
import type { MonitorSummary } from '../../scripts/monitor/summary.ts';
import { metricsFromSummary } from '../../scripts/pipeline/cloudwatch-metrics.ts';
import { runCli } from '../helpers/cli.ts';
import { FakeCredential } from './arm-double.ts';

const RESOURCE_ID = '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rktest-rg/providers/Microsoft.MachineLearningServices/workspaces/rktest-mlw/onlineEndpoints/rktest-endpoint';

/** The parts of summary.json the metrics read: two columns tested, one drifted, labels present. */
const SUMMARY = {
  generatedAt: '2026-01-01T06:00:00.000Z',
  counts: { failed: 2 },
  current: { rows: 200, labeledRows: 150 },
  analysis: {
    drift: {
      drifted: 1,
      tested: 2,
      columns: [
        { column: 'body_mass_g', pvalue: 0.0001, drifted: true },
        { column: 'island', distance: 0.02, drifted: false },
      ],
    },
    quality: { accuracy: 0.8133 },
    predictionDrift: { drifted: false },
  },
} as unknown as MonitorSummary;

/** What the published schema requires of one request body; empty when it conforms. */
function schemaProblems(body: any, now: number): string[] {
  const problems: string[] = [];
  const keys = (o: object) => Object.keys(o).sort().join(',');
  if (keys(body) !== 'data,time') problems.push(`top level has ${keys(body)}`);
  const t = Date.parse(body.time);
  if (!/^\d{4}-\d\d-\d\dT/.test(body.time) || !(t >= now - 20 * 60_000 && t <= now + 5 * 60_000)) problems.push(`time ${body.time} outside the accepted window`);
  const base = body.data?.baseData;
  if (!base || keys(body.data) !== 'baseData') return [...problems, 'data.baseData missing or not alone'];
  if (keys(base) !== 'dimNames,metric,namespace,series') problems.push(`baseData has ${keys(base)}`);
  if (typeof base.metric !== 'string' || typeof base.namespace !== 'string') problems.push('metric and namespace must be strings');
  if (!Array.isArray(base.dimNames) || base.dimNames.length > 10) problems.push('dimNames must be an array of at most 10');
  if (!Array.isArray(base.series) || base.series.length === 0) problems.push('series must be a non-empty array');
  for (const s of base.series ?? []) {
    if (keys(s) !== 'count,dimValues,max,min,sum') problems.push(`series entry has ${keys(s)}`);
    if (s.dimValues?.length !== base.dimNames.length) problems.push('one dimValue per dimName');
    for (const k of ['min', 'max', 'sum', 'count']) if (typeof s[k] !== 'number' || !Number.isFinite(s[k])) problems.push(`${k} must be a number`);
  }
  return problems;
}

interface Received {
  method: string;
  path: string;
  authorization: string;
  contentType: string;
  body: any;
}

describe('Azure Monitor custom metrics from the monitor summary', () => {
  let server: Server;
  let baseUrl: string;
  let cert: string;
  let received: Received[] = [];
  let answer = { status: 200, body: '' };
  const dir = mkdtempSync(join(tmpdir(), 'rookery-azure-metrics-'));

  beforeAll(async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          authorization: String(req.headers.authorization),
          contentType: String(req.headers['content-type']),
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const target = (credential = new FakeCredential()) => ({ resourceId: RESOURCE_ID, region: 'eastus', credential, baseUrl, ca: cert });

  it('posts one schema-conforming body per metric to <resourceId>/metrics with a monitoring token', async () => {
    received = [];
    answer = { status: 200, body: '' };
    const credential = new FakeCredential();
    const now = Date.now();
    await publishAzureMetrics(target(credential), azureMetricBodies(SUMMARY, 'rktest-endpoint', new Date(now)));
    expect(credential.scopes).toEqual(['https://monitoring.azure.com/.default']);
    expect(received.length).toBeGreaterThan(0);
    for (const r of received) {
      expect(r).toMatchObject({ method: 'POST', path: `${RESOURCE_ID}/metrics`, authorization: 'Bearer token-for-https://monitoring.azure.com/.default', contentType: 'application/json' });
      expect(schemaProblems(r.body, now), r.body.data?.baseData?.metric).toEqual([]);
    }
  });

  it('publishes the same figures, names and dimensions as the CloudWatch job, under one namespace', async () => {
    const bodies = azureMetricBodies(SUMMARY, 'rktest-endpoint', new Date());
    const byName = Object.fromEntries(bodies.map((b) => [b.data.baseData.metric, b.data.baseData]));
    expect(Object.keys(byName).sort()).toEqual([...new Set(metricsFromSummary(SUMMARY, 'x').map((m) => m.MetricName))].sort());
    for (const b of bodies) expect(b.data.baseData.namespace).toBe(MONITOR_METRIC_NAMESPACE);
    expect(byName[DRIFTED_COLUMNS_METRIC]).toMatchObject({ dimNames: ['EndpointName'], series: [{ dimValues: ['rktest-endpoint'], min: 1, max: 1, sum: 1, count: 1 }] });
    expect(byName.Accuracy.series[0].max).toBe(0.8133);
    // Per-column figures: one body, a series per column.
    expect(byName.ColumnDrifted.dimNames).toEqual(['EndpointName', 'Column']);
    expect(byName.ColumnDrifted.series.map((s) => [s.dimValues[1], s.max])).toEqual([['body_mass_g', 1], ['island', 0]]);
    expect(byName.DriftScore.series.map((s) => [s.dimValues[1], s.max])).toEqual([['body_mass_g', 0.0001], ['island', 0.02]]);
  });

  it('stamps the publishing time, not the summary’s, which Azure would refuse once older than 20 minutes', () => {
    const now = new Date('2026-03-01T12:00:00.000Z');
    for (const b of azureMetricBodies(SUMMARY, 'e', now)) expect(b.time).toBe(now.toISOString());
  });

  it('says what role is missing when Azure Monitor answers 403', async () => {
    answer = { status: 403, body: '{"error":{"code":"InvalidToken","message":"The principal does not have permission"}}' };
    const err = await publishAzureMetrics(target(), azureMetricBodies(SUMMARY, 'rktest-endpoint', new Date())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^Azure Monitor refused DriftedColumns for \/subscriptions\/.+: HTTP 403 .*InvalidToken.*Monitoring Metrics Publisher on the resource\)$/);
  });

  it('refuses a resource ID or region that is not one, before signing in', async () => {
    const credential = new FakeCredential();
    const bad = await publishAzureMetrics({ ...target(credential), resourceId: 'rktest-endpoint' }, []).catch((e: unknown) => e);
    expect((bad as UserError).message).toContain('--publish-azure "rktest-endpoint" is not a resource ID');
    expect((bad as UserError).exitCode).toBe(2);
    const region = await publishAzureMetrics({ ...target(credential), region: 'East US' }, []).catch((e: unknown) => e);
    expect((region as UserError).message).toContain('--azure-region "East US" is not a region name');
    expect(credential.scopes).toEqual([]);
  });

  it('rookery monitor --publish-azure without --azure-region stops at once with a usage error', async () => {
    const run = await runCli(['monitor', '--publish-azure', RESOURCE_ID]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--publish-azure needs --azure-region REGION');
  });
});
