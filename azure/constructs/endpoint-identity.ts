/**
 * The identity a managed online endpoint runs as, with exactly the roles it
 * needs: pull the serving image, read the model and write collected payloads.
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
  /** The storage account holding the model and the collected payloads (Storage Blob Data Contributor). */
  readonly storageAccountId: string;
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
      // Reads the model; writes payload logs (the data collector uses the endpoint identity).
      grant('endpoint_blob_contributor', props.storageAccountId, 'Storage Blob Data Contributor'),
    ];
  }
}
