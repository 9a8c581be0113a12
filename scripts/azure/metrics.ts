/**
 * The monitor's figures as Azure Monitor custom metrics on a resource (the
 * online endpoint), the counterpart of `pipeline monitor`'s CloudWatch
 * metrics: the same names and values (metricsFromSummary), EndpointName and
 * Column as dimensions, under the same namespace.
 *
 * Sent with Azure Monitor's REST ingestion API, "Send custom metrics for an
 * Azure resource to the Azure Monitor metrics store by using a REST API"
 * (https://learn.microsoft.com/azure/azure-monitor/essentials/metrics-store-custom-rest-api):
 * POST https://<region>.monitoring.azure.com<resourceId>/metrics with a token
 * for https://monitoring.azure.com/ and the role Monitoring Metrics Publisher
 * on the resource; one metric per request. No maintained JavaScript SDK sends
 * custom metrics (@azure/monitor-ingestion writes Log Analytics tables), so
 * this is one HTTPS request per metric through scripts/azure/http.ts.
 */
import type { TokenCredential } from '@azure/identity';
import { MONITOR_METRIC_NAMESPACE } from '../../cloud/monitor-metrics.ts';
import { UserError } from '../../model/user-error.ts';
import type { MonitorSummary } from '../monitor/summary.ts';
import { metricsFromSummary } from '../pipeline/cloudwatch-metrics.ts';
import { send } from './http.ts';

const MONITORING_SCOPE = 'https://monitoring.azure.com/.default';

/** One custom-metric request body, as the REST API's schema names it. */
export interface AzureMetricBody {
  /** ISO 8601; Azure accepts up to 20 minutes in the past and 5 in the future. */
  time: string;
  data: {
    baseData: {
      metric: string;
      namespace: string;
      dimNames: string[];
      series: { dimValues: string[]; min: number; max: number; sum: number; count: number }[];
    };
  };
}

/**
 * The summary's figures grouped into one body per metric, a series per
 * dimension value set (DriftScore: one per column). Stamped `now` rather than
 * the summary's time, which may be older than the 20 minutes Azure accepts.
 */
export function azureMetricBodies(summary: MonitorSummary, endpointName: string, now: Date, namespace = MONITOR_METRIC_NAMESPACE): AzureMetricBody[] {
  const bodies = new Map<string, AzureMetricBody>();
  for (const datum of metricsFromSummary(summary, endpointName)) {
    const dimNames = datum.Dimensions.map((d) => d.Name);
    const key = `${datum.MetricName}|${dimNames.join(',')}`;
    let body = bodies.get(key);
    if (!body) {
      body = { time: now.toISOString(), data: { baseData: { metric: datum.MetricName, namespace, dimNames, series: [] } } };
      bodies.set(key, body);
    }
    body.data.baseData.series.push({ dimValues: datum.Dimensions.map((d) => d.Value), min: datum.Value, max: datum.Value, sum: datum.Value, count: 1 });
  }
  return [...bodies.values()];
}

export interface PublishTarget {
  /** ARM ID of the resource the metrics belong to (`/subscriptions/…/onlineEndpoints/NAME`). */
  resourceId: string;
  /** The resource's region (`eastus`): custom metrics are ingested in the resource's own region. */
  region: string;
  credential: TokenCredential;
  /** @default `https://<region>.monitoring.azure.com` (tests point it at a local server) */
  baseUrl?: string;
  /** Extra CA certificate (PEM) to trust. */
  ca?: string;
}

const RESOURCE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/.+[^/]$/i;

/** Sends every body; the first refusal stops with Azure's message and what to check. */
export async function publishAzureMetrics(target: PublishTarget, bodies: readonly AzureMetricBody[]): Promise<void> {
  if (!RESOURCE_ID.test(target.resourceId)) {
    throw new UserError(`--publish-azure ${JSON.stringify(target.resourceId)} is not a resource ID`, {
      fix: 'pass the endpoint\'s ARM ID, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<ws>/onlineEndpoints/<name>',
      exitCode: 2,
    });
  }
  if (!/^[a-z][a-z0-9]+$/.test(target.region)) throw new UserError(`--azure-region ${JSON.stringify(target.region)} is not a region name: use the short form, e.g. eastus`, { exitCode: 2 });
  const url = `${target.baseUrl ?? `https://${target.region}.monitoring.azure.com`}${target.resourceId}/metrics`;
  const token = (await target.credential.getToken(MONITORING_SCOPE))?.token;
  if (!token) throw new UserError('no Azure token for Azure Monitor: run `az login`, or give the job a managed identity (AZURE_CLIENT_ID)');
  for (const body of bodies) {
    const res = await send({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(target.ca ? { ca: target.ca } : {}),
    });
    if (res.status < 200 || res.status > 299) {
      const hint = res.status === 403 ? ' (the identity needs Monitoring Metrics Publisher on the resource)' : '';
      throw new UserError(`Azure Monitor refused ${body.data.baseData.metric} for ${target.resourceId}: HTTP ${res.status} ${res.text.slice(0, 300).trim()}${hint}`);
    }
  }
}
