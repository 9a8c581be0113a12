/**
 * The monitoring figures' names, which the publishers (`rookery pipeline
 * monitor` to CloudWatch, `rookery monitor --publish-azure` to Azure Monitor)
 * send and the alarms (PipelineStack's drift alarm, the Azure app's metric
 * alert) watch: one namespace and one metric set on both clouds.
 */
export const MONITOR_METRIC_NAMESPACE = 'Rookery/Monitoring';

/** The per-endpoint count the drift alarms fire on (> 0). */
export const DRIFTED_COLUMNS_METRIC = 'DriftedColumns';
