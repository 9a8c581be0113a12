/**
 * The JSON shapes of the MLflow REST API 2.0 entities rookery reads, as the
 * server serializes them (mlflow/protos/service.proto,
 * mlflow/protos/model_registry.proto; proto2 fields that were never set are
 * left out, int64 fields are JSON numbers).
 */
export interface Tag {
  key: string;
  value: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: Tag[];
}

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunInfo {
  run_id: string;
  run_uuid?: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: RunStatus;
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage?: string;
}

export interface Run {
  info: RunInfo;
  data?: {
    metrics?: { key: string; value: number; timestamp: number; step: number }[];
    params?: Tag[];
    tags?: Tag[];
  };
}

export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

export interface ModelVersion {
  name: string;
  /** A string in the API, e.g. "3". */
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  user_id?: string;
  current_stage?: string;
  description?: string;
  source: string;
  run_id?: string;
  status?: ModelVersionStatus;
  status_message?: string;
  tags?: Tag[];
  run_link?: string;
  /**
   * Filled in only by model-versions/create, model-versions/get and
   * registered-models/alias; absent from model-versions/search results and a
   * registered model's latest_versions (read RegisteredModel.aliases there).
   */
  aliases?: string[];
}

export interface RegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  user_id?: string;
  description?: string;
  latest_versions?: ModelVersion[];
  tags?: Tag[];
  /** Every alias of the model, in get and search answers alike; absent when there are none. */
  aliases?: { alias: string; version: string }[];
}

/** An entry of `GET /api/2.0/mlflow-artifacts/artifacts?path=` (path is the base name there). */
export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}
