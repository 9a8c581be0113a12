/**
 * A key-auth managed online endpoint with one deployment taking all of its
 * traffic: the model version in the serving environment, on Azure-managed VMs,
 * probed and sized for the Node server (serving.ts).
 */
import type { TerraformMetaArguments } from 'cdktf';
import type { Construct } from 'constructs';
import { LIVENESS_PROBE, READINESS_PROBE, REQUEST_SETTINGS } from '../serving.ts';
import { FlatConstruct } from './flat.ts';
import { EndpointTraffic, OnlineDeployment, OnlineEndpoint } from './online-endpoint.ts';

export interface ManagedOnlineEndpointProps {
  readonly workspaceId: string;
  readonly endpointName: string;
  readonly location: string;
  /** The user-assigned identity the endpoint runs as (EndpointIdentity). */
  readonly identityId: string;
  readonly deploymentName: string;
  /** VM size, e.g. Standard_DS3_v2. */
  readonly instanceType: string;
  readonly instanceCount: number;
  /** ARM ID of the model version to serve. */
  readonly modelId: string;
  /** ARM ID of the environment version to serve it in. */
  readonly environmentId: string;
  /**
   * The serving program's environment (its capture settings).
   * @default none
   */
  readonly environmentVariables?: Record<string, string>;
  /** Shown on the endpoint: what it serves (`rookery penguins classifier`). */
  readonly endpointDescription: string;
  /** Shown on the deployment: which model on which image. */
  readonly deploymentDescription: string;
  /** @default none */
  readonly tags?: Record<string, string>;
  /**
   * What the endpoint waits for, such as its identity's role assignments.
   * @default none
   */
  readonly dependsOn?: TerraformMetaArguments['dependsOn'];
}

export class ManagedOnlineEndpoint extends FlatConstruct {
  readonly endpoint: OnlineEndpoint;
  readonly deployment: OnlineDeployment;

  constructor(scope: Construct, id: string, props: ManagedOnlineEndpointProps) {
    super(scope, id);
    this.endpoint = new OnlineEndpoint(this, 'endpoint', {
      workspaceId: props.workspaceId,
      name: props.endpointName,
      location: props.location,
      identityId: props.identityId,
      authMode: 'Key',
      description: props.endpointDescription,
      tags: props.tags,
      dependsOn: props.dependsOn,
    });
    this.deployment = new OnlineDeployment(this, 'deployment', {
      endpoint: this.endpoint,
      name: props.deploymentName,
      instanceType: props.instanceType,
      instanceCount: props.instanceCount,
      modelId: props.modelId,
      environmentId: props.environmentId,
      livenessProbe: LIVENESS_PROBE,
      readinessProbe: READINESS_PROBE,
      requestSettings: REQUEST_SETTINGS,
      // No Azure ML data collector: the serving program captures to blob storage
      // itself, in the format `rookery label` and `monitor` read (see the stack).
      ...(props.environmentVariables ? { environmentVariables: props.environmentVariables } : {}),
      description: props.deploymentDescription,
      tags: props.tags,
    });
    new EndpointTraffic(this, 'traffic', { endpoint: this.endpoint, traffic: [{ deployment: this.deployment, percent: 100 }] });
  }

  get scoringUri(): string {
    return this.endpoint.scoringUri;
  }
}
