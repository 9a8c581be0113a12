/** One answer from a deployed (or local) model endpoint. */
export interface InvokeResult {
  status: number;
  /** Parsed JSON when the endpoint answered JSON, else the text. */
  body: unknown;
  latencyMs: number;
}

export interface InvokeOptions {
  contentType?: string;
  /** Passed as X-Amzn-SageMaker-Custom-Attributes where the target supports it. */
  customAttributes?: string;
  /** Caller's id for the request (SageMaker InferenceId); captured with the record. */
  inferenceId?: string;
}

/**
 * Where `rookery invoke` and `rookery traffic` send requests: the local server,
 * a SageMaker endpoint or an Azure ML online endpoint. Bodies are MLflow
 * scoring-protocol JSON (e.g. `{"dataframe_records": [...], "params": {...}}`).
 */
export interface Target {
  readonly name: string;
  /** Human-readable destination for progress output, e.g. the URL or endpoint name. */
  readonly destination: string;
  invoke(body: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  close?(): Promise<void>;
}
