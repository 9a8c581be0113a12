/**
 * Issue 18 on Azure, on the synthesized Terraform JSON: the serving program's
 * own blob capture (its container, the endpoint identity's one role on it,
 * the deployment's variables) and the scheduled monitor (schedule, compute,
 * identity roles, metric alert) when ROOKERY_AZURE_MONITOR_SCHEDULE turns it
 * on, and none of it (nothing billable) when off.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_ROLE_IDS } from '../../azure/constructs/github-identity.ts';
import { METRICS_PUBLISHER_ROLE } from '../../azure/constructs/scheduled-monitor.ts';
import { IMAGE_COMMAND } from '../../azure/serving.ts';
import { CAPTURE_CONTAINER, GROUND_TRUTH_CONTAINER, MONITOR_COMPUTE, REPORT_CONTAINER, REPORT_DATASTORE, RESOURCE_TYPES } from '../../cloud/azure-ml.ts';
import { parseBlobUri } from '../../cloud/blob-location.ts';
import { DRIFTED_COLUMNS_METRIC, MONITOR_METRIC_NAMESPACE } from '../../cloud/monitor-metrics.ts';
import { imageEntrypoint } from '../../scripts/dockerfile.ts';
import { armModelProblems } from '../helpers/arm-model.ts';
import { azapi, errorOf, loadAzure, makeRegistry, synthAzure, type Synthesized, type TerraformJson } from './fixtures.ts';

const ENDPOINT_ID = '${azapi_resource.endpoint_resource_90950699.id}';
const ENDPOINT_PRINCIPAL = '${azurerm_user_assigned_identity.endpoint_identity.principal_id}';
const BLOB_SERVICE = '${trimsuffix(azurerm_storage_account.storage.primary_blob_endpoint, "/")}';
const CAPTURE_URI = `${BLOB_SERVICE}/\${azurerm_storage_container.capture_container.name}/\${var.prefix}-endpoint`;
const GROUND_TRUTH_URI = `${BLOB_SERVICE}/\${azurerm_storage_container.ground_truth_container.name}/\${var.prefix}-endpoint`;
const containerId = (tf: string) => `\${azurerm_storage_container.${tf}.resource_manager_id}`;

/** A Terraform expression with the values a deploy of prefix `rktest` gives it. */
function rendered(value: string): string {
  return value
    .replace(BLOB_SERVICE, 'https://rktestst.blob.core.windows.net')
    .replace('${azurerm_storage_container.capture_container.name}', CAPTURE_CONTAINER)
    .replace('${azurerm_storage_container.ground_truth_container.name}', GROUND_TRUTH_CONTAINER)
    .replaceAll('${var.prefix}', 'rktest');
}

const roles = (json: TerraformJson) => Object.values(json.resource.azurerm_role_assignment ?? {}) as any[];
const ofType = (json: TerraformJson, type: string) => Object.values(json.resource[type] ?? {}) as any[];
const schedules = (json: TerraformJson) => ofType(json, 'azapi_resource').filter((r) => String(r.type).startsWith(`${RESOURCE_TYPES.schedule}@`));

describe('the Azure app with the scheduled monitor off (the default)', () => {
  let s: Synthesized;
  beforeAll(async () => {
    s = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry() });
  });

  it('creates private capture, ground-truth and report containers in the workspace storage account', () => {
    const containers = s.json.resource.azurerm_storage_container;
    for (const [tf, name] of [['capture_container', CAPTURE_CONTAINER], ['ground_truth_container', GROUND_TRUTH_CONTAINER], ['report_container', REPORT_CONTAINER]]) {
      expect(containers[tf], tf).toMatchObject({ name, storage_account_id: '${azurerm_storage_account.storage.id}', container_access_type: 'private' });
    }
  });

  it('lets the endpoint identity write the capture container and no other container', () => {
    const writes = roles(s.json).filter((r) => r.principal_id === ENDPOINT_PRINCIPAL && r.role_definition_name === 'Storage Blob Data Contributor');
    expect(writes.map((r) => r.scope)).toEqual([containerId('capture_container')]);
  });

  it('gives the deployer what label and monitor need from a laptop: read captures and reports, write ground truth', () => {
    const deployer = roles(s.json).filter((r) => r.principal_id === '${data.azurerm_client_config.current.object_id}');
    const onMonitoring = deployer.filter((r) => [containerId('capture_container'), containerId('ground_truth_container'), containerId('report_container')].includes(r.scope));
    expect(onMonitoring.map((r) => [r.role_definition_name, r.scope]).sort()).toEqual([
      ['Storage Blob Data Contributor', containerId('ground_truth_container')],
      ['Storage Blob Data Reader', containerId('capture_container')],
      ['Storage Blob Data Reader', containerId('report_container')],
    ]);
  });

  it('turns the serving program’s capture on in the deployment, signed in as the endpoint identity, without Azure ML’s data collector', () => {
    const p = azapi(s.json, RESOURCE_TYPES.onlineDeployment).body.properties;
    expect(p.environmentVariables).toEqual({
      DATA_CAPTURE: 'true',
      DATA_COLLECTION_URI: CAPTURE_URI,
      AZURE_CLIENT_ID: '${azurerm_user_assigned_identity.endpoint_identity.client_id}',
    });
    expect(p.dataCollector).toBeUndefined();
    // The location the serving program parses once Terraform has filled it in.
    expect(parseBlobUri(rendered(p.environmentVariables.DATA_COLLECTION_URI))).toEqual({
      serviceUrl: 'https://rktestst.blob.core.windows.net',
      account: 'rktestst',
      container: CAPTURE_CONTAINER,
      prefix: 'rktest-endpoint',
    });
  });

  it('outputs the capture and ground-truth locations and the label and monitor commands over them', () => {
    const out = s.json.output;
    expect(out.capture_uri.value).toBe(CAPTURE_URI);
    expect(out.ground_truth_uri.value).toBe(GROUND_TRUTH_URI);
    expect(out.label.value).toBe(`rookery label --datastore ${CAPTURE_URI} --ground-truth ${GROUND_TRUTH_URI}`);
    expect(out.monitor.value).toBe(`rookery monitor --datastore ${CAPTURE_URI} --ground-truth ${GROUND_TRUTH_URI} --out reports/`);
    expect(parseBlobUri(rendered(out.ground_truth_uri.value as string)).container).toBe(GROUND_TRUTH_CONTAINER);
    expect(out.monitor_reports).toBeUndefined();
  });

  it('creates nothing of the scheduled monitor, so nothing of it is billed: no schedule, compute, alert or publisher role', () => {
    expect(schedules(s.json)).toEqual([]);
    expect(ofType(s.json, 'azurerm_machine_learning_compute_cluster').map((c) => c.name)).not.toContain(MONITOR_COMPUTE);
    expect(s.json.resource.azurerm_monitor_metric_alert).toBeUndefined();
    expect(s.json.resource.azurerm_monitor_action_group).toBeUndefined();
    expect(roles(s.json).map((r) => r.role_definition_name)).not.toContain(METRICS_PUBLISHER_ROLE);
    expect(ofType(s.json, 'azurerm_machine_learning_datastore_blobstorage').map((d) => d.name)).not.toContain(REPORT_DATASTORE);
    // Whatever compute remains (batch scoring's) idles at zero nodes.
    for (const c of ofType(s.json, 'azurerm_machine_learning_compute_cluster')) expect(c.scale_settings.min_node_count, c.name).toBe(0);
  });
});

describe('the Azure app with ROOKERY_AZURE_MONITOR_SCHEDULE set', () => {
  let s: Synthesized;
  let schedule: any;
  let job: any;
  let cluster: any;
  let principal: string;
  beforeAll(async () => {
    s = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry(), ROOKERY_AZURE_MONITOR_SCHEDULE: '30 5 * * 1-5' });
    [schedule] = schedules(s.json);
    job = schedule.body.properties.action.jobDefinition;
    cluster = ofType(s.json, 'azurerm_machine_learning_compute_cluster').find((c) => c.name === MONITOR_COMPUTE);
    const identityRef = /^\$\{azurerm_user_assigned_identity\.(\w+)\.id\}$/.exec(cluster.identity.identity_ids[0])![1];
    principal = `\${azurerm_user_assigned_identity.${identityRef}.principal_id}`;
  });

  it('schedules one Azure ML job on the cron, in UTC, whose body the Azure ML service model accepts', () => {
    expect(schedules(s.json)).toHaveLength(1);
    expect(schedule.name).toBe('rookery-monitor');
    expect(schedule.parent_id).toBe('${azurerm_machine_learning_workspace.workspace.id}');
    expect(schedule.body.properties.trigger).toEqual({ triggerType: 'Cron', expression: '30 5 * * 1-5', timeZone: 'UTC' });
    expect(schedule.body.properties.isEnabled).toBe(true);
    expect(schedule.body.properties.action.actionType).toBe('CreateJob');
    expect(armModelProblems('ScheduleProperties', schedule.body.properties)).toEqual([]);
  });

  it('runs rookery monitor in the serving image over the capture and ground-truth locations, publishing to the endpoint', () => {
    expect(job).toMatchObject({ jobType: 'Command', environmentId: '${azapi_resource.environment_resource_81F48BDC.id}' });
    expect(job.command).toBe(
      `${IMAGE_COMMAND} monitor --datastore ${CAPTURE_URI} --ground-truth ${GROUND_TRUTH_URI} --out $\${{outputs.report}} --no-fail --publish-azure ${ENDPOINT_ID} --azure-region \${azurerm_resource_group.resource_group.location}`,
    );
    // `$${` is Terraform's escape: Azure ML receives its own `${{outputs.report}}` expression.
    expect(job.outputs.report).toEqual({ jobOutputType: 'uri_folder', mode: 'ReadWriteMount', uri: `azureml://datastores/${REPORT_DATASTORE}/paths/\${var.prefix}-endpoint/$\${{name}}/` });
    expect(s.json.output.monitor_reports.value).toBe(`azureml://datastores/${REPORT_DATASTORE}/paths/\${var.prefix}-endpoint`);
    const datastore = ofType(s.json, 'azurerm_machine_learning_datastore_blobstorage').find((d) => d.name === REPORT_DATASTORE);
    expect(datastore.storage_container_id).toBe(containerId('report_container'));
  });

  it('names the bundle the image’s ENTRYPOINT runs', () => {
    expect(IMAGE_COMMAND).toBe(`node ${imageEntrypoint().script}`);
  });

  it('runs the job on a cluster of its own that scales to zero, signed in as the cluster’s identity', () => {
    expect(job.computeId).toMatch(/^\$\{azurerm_machine_learning_compute_cluster\.\w+\.id\}$/);
    expect(job.computeId).toContain(Object.entries(s.json.resource.azurerm_machine_learning_compute_cluster).find(([, c]) => c === cluster)![0]);
    expect(cluster.scale_settings).toMatchObject({ min_node_count: 0, max_node_count: 1 });
    const clientId = principal.replace('principal_id', 'client_id');
    expect(job.identity).toEqual({ identityType: 'Managed', clientId });
    expect(job.environmentVariables).toEqual({ AZURE_CLIENT_ID: clientId });
  });

  it('lets the job identity read captures and ground truth, write reports, publish metrics on the endpoint, and nothing more', () => {
    const mine = roles(s.json).filter((r) => r.principal_id === principal);
    expect(mine.map((r) => [r.role_definition_name, r.scope]).sort()).toEqual([
      ['AcrPull', '${azurerm_container_registry.registry.id}'],
      [METRICS_PUBLISHER_ROLE, ENDPOINT_ID],
      ['Storage Blob Data Contributor', containerId('report_container')],
      ['Storage Blob Data Reader', containerId('capture_container')],
      ['Storage Blob Data Reader', containerId('ground_truth_container')],
    ]);
    // The schedule waits for every grant: a first run must not be refused while roles propagate.
    for (const r of Object.keys(s.json.resource.azurerm_role_assignment).filter((k) => s.json.resource.azurerm_role_assignment[k].principal_id === principal)) {
      expect(schedule.depends_on).toContain(`azurerm_role_assignment.${r}`);
    }
  });

  it('alerts on the endpoint when the published DriftedColumns is above 0, without an action group unless an email is set', () => {
    const alerts = ofType(s.json, 'azurerm_monitor_metric_alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].scopes).toEqual([ENDPOINT_ID]);
    expect(alerts[0].criteria).toEqual([
      { metric_namespace: MONITOR_METRIC_NAMESPACE, metric_name: DRIFTED_COLUMNS_METRIC, aggregation: 'Maximum', operator: 'GreaterThan', threshold: 0, skip_metric_validation: true },
    ]);
    expect(alerts[0].action).toBeUndefined();
    expect(s.json.resource.azurerm_monitor_action_group).toBeUndefined();
  });

  it('sends the alert to ROOKERY_AZURE_MONITOR_EMAIL through an action group', async () => {
    const withEmail = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry(), ROOKERY_AZURE_MONITOR_SCHEDULE: '0 6 * * *', ROOKERY_AZURE_MONITOR_EMAIL: 'ml-oncall@example.org' });
    const [group] = ofType(withEmail.json, 'azurerm_monitor_action_group');
    expect(group.email_receiver).toEqual([{ name: 'drift', email_address: 'ml-oncall@example.org', use_common_alert_schema: true }]);
    const [groupId] = Object.keys(withEmail.json.resource.azurerm_monitor_action_group);
    expect(ofType(withEmail.json, 'azurerm_monitor_metric_alert')[0].action).toEqual([{ action_group_id: `\${azurerm_monitor_action_group.${groupId}.id}` }]);
  });

  it('lets a GitHub deploy assign the publisher role too', async () => {
    const withGithub = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry(), ROOKERY_AZURE_MONITOR_SCHEDULE: '0 6 * * *', ROOKERY_AZURE_GITHUB_REPOSITORY: 'me/rookery' });
    const condition = withGithub.json.resource.azurerm_role_assignment.github_role_assigner.condition as string;
    expect(condition.split(BUILT_IN_ROLE_IDS[METRICS_PUBLISHER_ROLE])).toHaveLength(3);
  });
});

describe('the scheduled monitor settings', () => {
  const base = () => ({ ROOKERY_AZURE_PREFIX: 'rktest', ROOKERY_REGISTRY: makeRegistry() });

  it('reads the schedule from cdktf context too, spaces normalized', async () => {
    const { config } = await loadAzure(base(), { monitorSchedule: ' 0  6 * *  * ', monitorEmail: 'a@example.org' });
    expect(config.monitor).toEqual({ cron: '0 6 * * *', email: 'a@example.org' });
  });

  it.each([
    ['every day at 6', 'is not a five-field cron expression'],
    ['0 6 * *', 'is not a five-field cron expression'],
    ['rate(1 day)', 'is not a five-field cron expression'],
  ])('refuses the schedule %j in one line naming it', async (value, why) => {
    const message = await errorOf(() => loadAzure({ ...base(), ROOKERY_AZURE_MONITOR_SCHEDULE: value }));
    expect(message).toContain(`ROOKERY_AZURE_MONITOR_SCHEDULE=${JSON.stringify(value)} ${why}`);
    expect(message).toContain('"0 6 * * *"');
    expect(message).not.toContain('\n');
  });

  it('refuses an email without a schedule, and an email that is not one', async () => {
    expect(await errorOf(() => loadAzure({ ...base(), ROOKERY_AZURE_MONITOR_EMAIL: 'a@example.org' }))).toContain('needs ROOKERY_AZURE_MONITOR_SCHEDULE too');
    expect(await errorOf(() => loadAzure({ ...base(), ROOKERY_AZURE_MONITOR_SCHEDULE: '0 6 * * *', ROOKERY_AZURE_MONITOR_EMAIL: 'oncall' }))).toContain(
      'ROOKERY_AZURE_MONITOR_EMAIL="oncall" is not an email address',
    );
  });
});
