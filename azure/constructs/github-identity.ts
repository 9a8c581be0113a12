/**
 * The identity GitHub Actions deploys the app as, with no secret anywhere: a
 * user-assigned identity that trusts GitHub's OIDC tokens for one repository
 * and environment only (`azure/login` with client, tenant and subscription
 * ids), and roles on the app's resource group and nothing wider.
 *
 * Why these roles: `cdktf deploy azure` from the runner creates and updates
 * everything in the group, including the role assignments the app makes for
 * the endpoint identity, the workspace and the deployer. Contributor manages
 * the resources but cannot write role assignments; Owner or User Access
 * Administrator could grant anything to anyone. Role Based Access Control
 * Administrator with a condition can assign (and remove) only the roles the
 * app itself assigns, so the workflow can never grant itself or anyone else
 * Owner, Contributor or this role.
 *
 * Because these roles are scoped to the group, the identity cannot create the
 * group, nor change its own roles: the first `cdktf deploy azure` (and any
 * change to this construct) runs from a user's machine signed in with `az
 * login` as someone who may assign roles; later deploys run from the workflow.
 */
import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential/index.js';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment/index.js';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity/index.js';
import type { Construct } from 'constructs';
import { FlatConstruct } from './flat.ts';

/** GitHub Actions' OIDC token issuer. */
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
/** The audience Entra ID expects in a federated token (what `azure/login` requests). */
export const AZURE_TOKEN_AUDIENCE = 'api://AzureADTokenExchange';

/** Built-in role definition ids: the same GUID in every tenant and cloud. */
export const BUILT_IN_ROLE_IDS = {
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
} as const;
export type AssignableRole = keyof typeof BUILT_IN_ROLE_IDS;

export interface GithubIdentityProps {
  readonly name: string;
  /** The app's resource group: where the identity lives and the only scope of its roles. */
  readonly resourceGroupName: string;
  readonly resourceGroupId: string;
  readonly location: string;
  /** OWNER/NAME, exactly as GitHub spells it: the token's subject is compared as written. */
  readonly repository: string;
  /** The GitHub environment of the job that deploys. */
  readonly environment: string;
  /** The roles the app assigns, and so the only ones this identity may assign or remove. */
  readonly assignableRoles: readonly AssignableRole[];
  /** @default none */
  readonly tags?: Record<string, string>;
}

/** The token subject GitHub sends for a job that runs in `environment` of `repository`. */
export function githubSubject(repository: string, environment: string): string {
  return `repo:${repository}:environment:${environment}`;
}

/**
 * An ABAC condition (version 2.0) limiting role-assignment writes and deletes
 * to the given role definitions; every other action the role allows is untouched.
 */
export function assignableRolesCondition(roles: readonly AssignableRole[]): string {
  const ids = roles.map((role) => BUILT_IN_ROLE_IDS[role]).join(', ');
  const only = (action: 'write' | 'delete', source: 'Request' | 'Resource') =>
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/${action}'})) OR ` +
    `(@${source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${ids}}))`;
  return `${only('write', 'Request')} AND ${only('delete', 'Resource')}`;
}

export class GithubIdentity extends FlatConstruct {
  readonly identity: UserAssignedIdentity;
  readonly credential: FederatedIdentityCredential;
  readonly grants: readonly RoleAssignment[];

  constructor(scope: Construct, id: string, props: GithubIdentityProps) {
    super(scope, id);
    if (props.assignableRoles.length === 0) throw new Error('GithubIdentity: assignableRoles must name at least one role');
    this.identity = new UserAssignedIdentity(this, 'github_identity', {
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
      name: props.name,
    });
    this.credential = new FederatedIdentityCredential(this, 'github_credential', {
      // Letters, digits, hyphens and underscores only: an environment's periods become hyphens.
      name: `github-${props.environment.replace(/[^A-Za-z0-9_-]/g, '-')}`,
      resourceGroupName: props.resourceGroupName,
      parentId: this.identity.id,
      issuer: GITHUB_ISSUER,
      audience: [AZURE_TOKEN_AUDIENCE],
      subject: githubSubject(props.repository, props.environment),
    });
    const grant = (id: string, roleDefinitionName: string, condition?: string) =>
      new RoleAssignment(this, id, {
        scope: props.resourceGroupId,
        roleDefinitionName,
        principalId: this.identity.principalId,
        principalType: 'ServicePrincipal',
        ...(condition ? { condition, conditionVersion: '2.0' } : {}),
      });
    this.grants = [
      grant('github_contributor', 'Contributor'),
      grant('github_role_assigner', 'Role Based Access Control Administrator', assignableRolesCondition(props.assignableRoles)),
    ];
  }
}
