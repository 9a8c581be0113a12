/**
 * What the Azure app and `rookery score --target azure` agree on about batch
 * scoring jobs: the compute cluster they run on and the one blob container
 * (with an Azure ML datastore over it) their inputs and outputs live in. The
 * job identity may read and write there and nowhere else but the model files.
 */

/** The scale-to-zero compute cluster (compute names: 2-16 letters, digits or hyphens, unique in the workspace). */
export const COMPUTE_CLUSTER = 'rookery-cpu';
export const BATCH_CONTAINER = 'rookery-batch';
/** Datastore names allow letters, digits and underscores only. */
export const BATCH_DATASTORE = 'rookery_batch';
/** The Azure ML experiment batch-scoring jobs are filed under. */
export const SCORE_EXPERIMENT = 'rookery-score';
