/**
 * The identity a managed online endpoint runs as, with exactly the roles it
 * needs, each on the one resource it is for: pull the serving image (the
 * registry), read the model (the model container) and write captured
 * traffic (the capture container, where the serving program's own capture
 * writes). No role on the storage account: its other containers (ground
 * truth, reports, Azure ML's own) stay out of reach.
 * User-assigned so Terraform owns the grants (Azure ML's automatic grants
 * apply to system-assigned identities only).
 */
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment/index.js';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity/index.js';
import type { Construct } from 'constructs';
import { FlatConstruct } from './flat.ts';

export interface EndpointIdentityProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** The container registry the serving image is pulled from (AcrPull). */
  readonly registryId: string;
  /** Resource ID of the blob container holding the model files (Storage Blob Data Reader). */
  readonly modelContainerId: string;
  /** Resource ID of the blob container the serving program captures traffic to (Storage Blob Data Contributor). */
  readonly captureContainerId: string;
  /** @default none */
  readonly tags?: Record<string, string>;
}

export class EndpointIdentity extends FlatConstruct {
  readonly identity: UserAssignedIdentity;
  /** Anything that pulls or reads as this identity waits for these. */
  readonly grants: readonly RoleAssignment[];

  constructor(scope: Construct, id: string, props: EndpointIdentityProps) {
    super(scope, id);
    this.identity = new UserAssignedIdentity(this, 'endpoint_identity', {
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
      name: props.name,
    });
    const grant = (id: string, scope: string, roleDefinitionName: string) =>
      new RoleAssignment(this, id, { scope, roleDefinitionName, principalId: this.identity.principalId, principalType: 'ServicePrincipal' });
    this.grants = [
      grant('endpoint_acr_pull', props.registryId, 'AcrPull'),
      grant('endpoint_model_reader', props.modelContainerId, 'Storage Blob Data Reader'),
      // Captures: the serving program writes them as the endpoint identity (DATA_COLLECTION_URI).
      grant('endpoint_capture_writer', props.captureContainerId, 'Storage Blob Data Contributor'),
    ];
  }
}
