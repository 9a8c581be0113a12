/**
 * The scheduled monitor, Azure's counterpart of PipelineStack's monitoring
 * job: an Azure ML schedule that runs `rookery monitor` over the endpoint's
 * captures and ground truth in the serving image, on a compute cluster that
 * scales to zero (nothing billed between runs), writes the report into the
 * reports container (one folder per job) and publishes the figures to Azure
 * Monitor as custom metrics on the online endpoint, where a metric alert
 * fires when any column drifted.
 *
 * A plain Construct, not a FlatConstruct: everything here is new, so its
 * resources can carry its path (a second ComputeCluster in the stack, for
 * batch jobs, must not share addresses with this one).
 */
import { MachineLearningDatastoreBlobstorage } from '@cdktf/provider-azurerm/lib/machine-learning-datastore-blobstorage/index.js';
import { MonitorActionGroup } from '@cdktf/provider-azurerm/lib/monitor-action-group/index.js';
import { MonitorMetricAlert } from '@cdktf/provider-azurerm/lib/monitor-metric-alert/index.js';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment/index.js';
import { Construct } from 'constructs';
import { REPORT_DATASTORE, RESOURCE_TYPES } from '../../cloud/azure-ml.ts';
import { DRIFTED_COLUMNS_METRIC, MONITOR_METRIC_NAMESPACE } from '../../cloud/monitor-metrics.ts';
import { AzapiResource } from '../azapi-provider.ts';
import { cronScheduleBody, type ScheduleBody } from '../arm-bodies.ts';
import { IMAGE_COMMAND } from '../serving.ts';
import { ComputeCluster } from './compute-cluster.ts';

export interface ScheduledMonitorProps {
  readonly workspaceId: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** Five-field cron expression, in UTC (`0 6 * * *`). */
  readonly cron: string;
  /** The compute's name in the workspace (2–16 letters, digits or hyphens). */
  readonly computeName: string;
  /** The job identity's name. */
  readonly identityName: string;
  /** The schedule's name in the workspace. */
  readonly scheduleName: string;
  /** The registry the serving image is pulled from. */
  readonly registryId: string;
  /** ARM ID of the serving image's environment version: the job runs the same image. */
  readonly environmentId: string;
  /** The online endpoint: its name labels the report folder, its resource carries the metrics and the alert. */
  readonly endpoint: { readonly name: string; readonly id: string };
  /** Capture and ground-truth locations (blob URIs) and the containers they are in, read by the job. */
  readonly captures: { readonly uri: string; readonly containerId: string };
  readonly groundTruth: { readonly uri: string; readonly containerId: string };
  /** The reports container (Storage Blob Data Contributor for the job) and its storage account. */
  readonly reports: { readonly containerId: string };
  /**
   * Where the drift alert sends email.
   * @default none: the alert fires in Azure Monitor, no action group
   */
  readonly alertEmail?: string;
  /**
   * VM size of the cluster's nodes (the monitor reads a day of captures in seconds).
   * @default 'Standard_DS2_v2' (2 vCPUs, 7 GiB)
   */
  readonly vmSize?: string;
  /** @default none */
  readonly tags?: Record<string, string>;
}

/** Monitoring Metrics Publisher: the built-in role that may POST custom metrics to a resource. */
export const METRICS_PUBLISHER_ROLE = 'Monitoring Metrics Publisher';

export class ScheduledMonitor extends Construct {
  readonly compute: ComputeCluster;
  readonly schedule: AzapiResource<ScheduleBody>;
  readonly alert: MonitorMetricAlert;
  /** Where each run's report.html and summary.json go: `<this>/<job name>/`. */
  readonly reportPath: string;

  constructor(scope: Construct, id: string, props: ScheduledMonitorProps) {
    super(scope, id);
    const placement = { resourceGroupName: props.resourceGroupName, location: props.location, tags: props.tags };
    this.compute = new ComputeCluster(this, 'compute', {
      ...placement,
      workspaceId: props.workspaceId,
      name: props.computeName,
      identityName: props.identityName,
      registryId: props.registryId,
      readContainerIds: [props.captures.containerId, props.groundTruth.containerId],
      writeContainerIds: [props.reports.containerId],
      vmSize: props.vmSize ?? 'Standard_DS2_v2',
      maxNodes: 1,
    });
    const publisher = new RoleAssignment(this, 'metrics_publisher', {
      scope: props.endpoint.id,
      roleDefinitionName: METRICS_PUBLISHER_ROLE,
      principalId: this.compute.identity.principalId,
      principalType: 'ServicePrincipal',
    });
    const datastore = new MachineLearningDatastoreBlobstorage(this, 'report_datastore', {
      name: REPORT_DATASTORE,
      workspaceId: props.workspaceId,
      storageContainerId: props.reports.containerId,
      serviceDataAuthIdentity: 'WorkspaceSystemAssignedIdentity',
    });
    this.reportPath = `azureml://datastores/${REPORT_DATASTORE}/paths/${props.endpoint.name}`;
    this.schedule = new AzapiResource(this, 'schedule', {
      resourceType: RESOURCE_TYPES.schedule,
      name: props.scheduleName,
      parentId: props.workspaceId,
      body: cronScheduleBody({
        cron: props.cron,
        description: `rookery monitor over ${props.endpoint.name}'s captures`,
        job: {
          jobType: 'Command',
          displayName: `monitor ${props.endpoint.name}`,
          experimentName: 'rookery-monitor',
          computeId: this.compute.cluster.id,
          environmentId: props.environmentId,
          command: monitorCommand(props),
          // DefaultAzureCredential picks the compute's user-assigned identity by its client id.
          environmentVariables: { AZURE_CLIENT_ID: this.compute.identity.clientId },
          identity: { identityType: 'Managed', clientId: this.compute.identity.clientId },
          // `$${{name}}` is Azure ML's job-name expression, escaped from Terraform's own `${`.
          outputs: { report: { jobOutputType: 'uri_folder', uri: `${this.reportPath}/$\${{name}}/`, mode: 'ReadWriteMount' } },
        },
      }),
      dependsOn: [...this.compute.grants, publisher, datastore],
    });
    this.alert = this.driftAlert(props, placement);
  }

  /** Fires when the latest published DriftedColumns is above 0; validation skipped, as the metric exists only after the first run. */
  private driftAlert(props: ScheduledMonitorProps, placement: { resourceGroupName: string; tags?: Record<string, string> }): MonitorMetricAlert {
    const email = props.alertEmail;
    const group = email
      ? new MonitorActionGroup(this, 'alert_email', {
          resourceGroupName: placement.resourceGroupName,
          name: `${props.endpoint.name}-drift`,
          shortName: 'rkdrift',
          emailReceiver: [{ name: 'drift', emailAddress: email, useCommonAlertSchema: true }],
          tags: placement.tags,
        })
      : undefined;
    return new MonitorMetricAlert(this, 'drift_alert', {
      resourceGroupName: placement.resourceGroupName,
      name: `${props.endpoint.name}-drifted-columns`,
      description: `rookery monitor found drifted columns in ${props.endpoint.name}'s captures`,
      scopes: [props.endpoint.id],
      severity: 2,
      // A daily figure: look at the last day every hour, so one drifted run alerts once and clears the next day.
      frequency: 'PT1H',
      windowSize: 'P1D',
      criteria: [
        {
          metricNamespace: MONITOR_METRIC_NAMESPACE,
          metricName: DRIFTED_COLUMNS_METRIC,
          aggregation: 'Maximum',
          operator: 'GreaterThan',
          threshold: 0,
          skipMetricValidation: true,
        },
      ],
      ...(group ? { action: [{ actionGroupId: group.id }] } : {}),
      tags: placement.tags,
    });
  }
}

/**
 * The job's command line: the CLI's `monitor`, reading the blob locations
 * directly (the compute identity's token), not failing on drift (the alert
 * reports it), writing the report to the mounted output and publishing the
 * figures on the endpoint.
 */
function monitorCommand(props: ScheduledMonitorProps): string {
  return [
    IMAGE_COMMAND,
    'monitor',
    `--datastore ${props.captures.uri}`,
    `--ground-truth ${props.groundTruth.uri}`,
    '--out $${{outputs.report}}',
    '--no-fail',
    `--publish-azure ${props.endpoint.id}`,
    `--azure-region ${props.location}`,
  ].join(' ');
}
