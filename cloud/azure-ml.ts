/**
 * What the Azure app (azure/) and the `rookery` CLI (scripts/azure/) agree on
 * about Azure ML's ARM API: one API version, the resource types, the asset
 * names and where model files live in storage. Shared by both, so it lives in
 * neither; pure TypeScript, no cdktf or Azure SDK import.
 */

/**
 * The newest stable Microsoft.MachineLearningServices API version in
 * Azure/azure-rest-api-specs (specification/machinelearningservices/
 * resource-manager/Microsoft.MachineLearningServices/stable/2026-05-01/
 * openapi.json). Every field this project sends exists there and in
 * stable/2025-12-01/mfe.json, with the same required lists; contracts.md
 * cites 2024-04-01 as the .NET SDK's default, not as the newest.
 */
export const AML_API_VERSION = '2026-05-01';

export const RESOURCE_TYPES = {
  workspace: 'Microsoft.MachineLearningServices/workspaces',
  onlineEndpoint: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
  onlineDeployment: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
  environmentContainer: 'Microsoft.MachineLearningServices/workspaces/environments',
  environmentVersion: 'Microsoft.MachineLearningServices/workspaces/environments/versions',
  modelContainer: 'Microsoft.MachineLearningServices/workspaces/models',
  modelVersion: 'Microsoft.MachineLearningServices/workspaces/models/versions',
  schedule: 'Microsoft.MachineLearningServices/workspaces/schedules',
} as const;

/** The blob container (and Azure ML datastore over it) that holds uploaded model files. */
export const MODEL_CONTAINER = 'rookery-models';
/** Datastore names allow letters, digits and underscores only. */
export const MODEL_DATASTORE = 'rookery_models';
/**
 * The monitoring loop's blob containers, one per writer so each role is on
 * one container: the serving program writes captures (DATA_COLLECTION_URI,
 * `<endpoint>/yyyy/mm/dd/hh/*.jsonl`), `rookery label` writes ground truth
 * (`<endpoint>/...`), the scheduled monitor writes reports (`<endpoint>/<job>/`).
 */
export const CAPTURE_CONTAINER = 'rookery-captures';
export const GROUND_TRUTH_CONTAINER = 'rookery-ground-truth';
export const REPORT_CONTAINER = 'rookery-reports';
/** The Azure ML datastore over REPORT_CONTAINER, which the scheduled monitor's job output is written through. */
export const REPORT_DATASTORE = 'rookery_reports';

/** The scheduled monitor's compute cluster (2–16 characters, unique in the workspace) and schedule. */
export const MONITOR_COMPUTE = 'rookery-monitor';
export const MONITOR_SCHEDULE = 'rookery-monitor';

/** The workspace environment that wraps the serving image. */
export const ENVIRONMENT_NAME = 'rookery-serve';
/** Repository of the serving image in the workspace's container registry. */
export const IMAGE_REPOSITORY = 'rookery-serve';

/**
 * Blob prefix for one model version's files: `<name>/<version>-<content hash>`.
 * The hash keeps a changed artifact from overwriting (and, on replacement,
 * deleting) the files a registered version points at.
 */
export function modelBlobPrefix(modelName: string, version: string, sha256: string): string {
  return `${modelName}/${version}-${sha256.slice(0, 12)}`;
}

export function workspaceId(subscriptionId: string, resourceGroup: string, workspace: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${RESOURCE_TYPES.workspace}/${workspace}`;
}

/**
 * The datastore URI Azure ML records for a registered model (the long form
 * the Python SDK sends): `azureml://subscriptions/…/datastores/<ds>/paths/<path>/`.
 */
export function datastoreUri(subscriptionId: string, resourceGroup: string, workspace: string, path: string): string {
  return `azureml://subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}/workspaces/${workspace}/datastores/${MODEL_DATASTORE}/paths/${path}/`;
}
