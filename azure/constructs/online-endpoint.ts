/**
 * Typed constructs over azapi for a managed online endpoint: the endpoint,
 * one deployment on it, and the traffic split between deployments.
 */
import { Construct } from 'constructs';
import type { TerraformMetaArguments } from 'cdktf';
import { RESOURCE_TYPES } from '../../cloud/azure-ml.ts';
import { AzapiResource, AzapiResourceAction, type AzapiIdentity } from '../azapi-provider.ts';
import {
  endpointPutBody,
  managedDeploymentBody,
  onlineEndpointBody,
  type DeploymentBodyInput,
  type EndpointAuthMode,
  type ManagedOnlineDeploymentBody,
  type OnlineEndpointBody,
  type OnlineEndpointPutBody,
} from '../arm-bodies.ts';

export interface OnlineEndpointProps {
  readonly workspaceId: string;
  readonly name: string;
  readonly location: string;
  /** User-assigned identity the deployments run as (pulls the image, reads the model, writes collected data). */
  readonly identityId: string;
  /** @default 'Key' */
  readonly authMode?: EndpointAuthMode;
  /** @default none */
  readonly description?: string;
  /** @default none */
  readonly tags?: Record<string, string>;
  /** @default none */
  readonly dependsOn?: TerraformMetaArguments['dependsOn'];
}

/** A managed online endpoint (no traffic yet: `EndpointTraffic` sets it once a deployment exists). */
export class OnlineEndpoint extends Construct {
  readonly resource: AzapiResource<OnlineEndpointBody>;
  readonly name: string;
  readonly location: string;
  readonly body: OnlineEndpointBody;
  readonly identity: AzapiIdentity;

  constructor(scope: Construct, id: string, props: OnlineEndpointProps) {
    super(scope, id);
    this.name = props.name;
    this.location = props.location;
    this.identity = { type: 'UserAssigned', identityIds: [props.identityId] };
    this.body = onlineEndpointBody(props.authMode ?? 'Key', props.description);
    this.resource = new AzapiResource(this, 'resource', {
      resourceType: RESOURCE_TYPES.onlineEndpoint,
      name: props.name,
      parentId: props.workspaceId,
      location: props.location,
      identity: this.identity,
      body: this.body,
      tags: props.tags,
      responseExportValues: ['properties.scoringUri', 'properties.swaggerUri'],
      dependsOn: props.dependsOn,
      timeouts: { create: '30m', update: '30m', delete: '30m' },
    });
  }

  get id(): string {
    return this.resource.id;
  }

  get scoringUri(): string {
    return this.resource.output('properties.scoringUri');
  }
}

export interface OnlineDeploymentProps extends DeploymentBodyInput {
  readonly endpoint: OnlineEndpoint;
  readonly name: string;
  /** @default none */
  readonly tags?: Record<string, string>;
  /** @default none */
  readonly dependsOn?: TerraformMetaArguments['dependsOn'];
}

export class OnlineDeployment extends Construct {
  readonly resource: AzapiResource<ManagedOnlineDeploymentBody>;
  readonly name: string;
  readonly body: ManagedOnlineDeploymentBody;

  constructor(scope: Construct, id: string, props: OnlineDeploymentProps) {
    super(scope, id);
    this.name = props.name;
    this.body = managedDeploymentBody(props);
    this.resource = new AzapiResource(this, 'resource', {
      resourceType: RESOURCE_TYPES.onlineDeployment,
      name: props.name,
      parentId: props.endpoint.id,
      location: props.endpoint.location,
      body: this.body,
      tags: props.tags,
      responseExportValues: ['systemData.createdAt'],
      dependsOn: props.dependsOn,
      // A renamed deployment is created and given the traffic before the old one
      // (which Azure will not delete while it takes traffic) is removed.
      lifecycle: { createBeforeDestroy: true },
      // Provisioning VMs, pulling the image and waiting for readiness takes 10–20 minutes.
      timeouts: { create: '60m', update: '60m', delete: '30m' },
    });
  }

  get id(): string {
    return this.resource.id;
  }

  /** When Azure created this deployment; changes only when it is re-created. */
  get createdAt(): string {
    return this.resource.output('systemData.createdAt');
  }
}

export interface EndpointTrafficProps {
  readonly endpoint: OnlineEndpoint;
  /** Deployments and their share of traffic (summing to 100). */
  readonly traffic: readonly { readonly deployment: OnlineDeployment; readonly percent: number }[];
}

/** Informational request header; Azure Resource Manager ignores headers it does not know. */
export const TRAFFIC_REVISION_HEADER = 'x-rookery-deployments-created';

/**
 * Points the endpoint's traffic at deployments once they exist. A PUT of the
 * whole endpoint rather than azapi_update_resource, which merges maps: a
 * deployment added outside Terraform (`rookery deploy azure`) would keep its
 * share and the weights would no longer sum to 100. The request carries each
 * deployment's creation time in a header, so a deployment Terraform has to
 * re-create (say, after the CLI replaced it) gets its traffic back on the same
 * apply; lifecycle.replace_triggered_by would do the same but does not survive
 * `cdktf synth --hcl` (it renders the references as quoted strings).
 */
export class EndpointTraffic extends Construct {
  readonly action: AzapiResourceAction<OnlineEndpointPutBody>;
  /** Runs on destroy, before the deployments go: Azure refuses to delete a deployment that still takes traffic. */
  readonly release: AzapiResourceAction<OnlineEndpointPutBody>;
  readonly traffic: Record<string, number>;

  constructor(scope: Construct, id: string, props: EndpointTrafficProps) {
    super(scope, id);
    const total = props.traffic.reduce((sum, t) => sum + t.percent, 0);
    if (total !== 100) throw new Error(`endpoint traffic must sum to 100, not ${total}`);
    this.traffic = Object.fromEntries(props.traffic.map((t) => [t.deployment.name, t.percent]));
    const e = props.endpoint;
    const endpoint = { location: e.location, identityIds: e.identity.identityIds ?? [], body: e.body };
    const deployments = props.traffic.map((t) => t.deployment.resource);
    this.action = new AzapiResourceAction(this, 'put', {
      resourceType: RESOURCE_TYPES.onlineEndpoint,
      resourceId: e.id,
      method: 'PUT',
      body: endpointPutBody(endpoint, this.traffic),
      headers: { [TRAFFIC_REVISION_HEADER]: props.traffic.map((t) => t.deployment.createdAt).join(',') },
      dependsOn: deployments,
      timeouts: { create: '30m', update: '30m' },
    });
    this.release = new AzapiResourceAction(this, 'release', {
      resourceType: RESOURCE_TYPES.onlineEndpoint,
      resourceId: e.id,
      method: 'PUT',
      body: endpointPutBody(endpoint, {}),
      when: 'destroy',
      dependsOn: deployments,
      timeouts: { delete: '30m' },
    });
  }
}
