import { describe, expect, it } from 'vitest';
import { assignableRolesCondition, GithubIdentity, type GithubIdentityProps } from '../../../azure/constructs/github-identity.ts';
import { resources, synthConstruct } from './synth.ts';

const PROPS: GithubIdentityProps = {
  name: 'rk-github',
  resourceGroupName: 'g',
  resourceGroupId: 'RG_ID',
  location: 'eastus',
  repository: 'me/rookery',
  environment: 'production',
  assignableRoles: ['AcrPull', 'Storage Blob Data Reader'],
};

const synth = (props: Partial<GithubIdentityProps> = {}) =>
  synthConstruct((stack) => {
    new GithubIdentity(stack, 'GithubIdentity', { ...PROPS, ...props });
  });

describe('GithubIdentity', () => {
  it('creates a user-assigned identity in the group, trusting GitHub tokens for one repository and environment', () => {
    const json = synth();
    expect(resources(json, 'azurerm_user_assigned_identity').github_identity).toMatchObject({ name: 'rk-github', resource_group_name: 'g', location: 'eastus' });
    const credentials = Object.values(resources(json, 'azurerm_federated_identity_credential'));
    expect(credentials).toEqual([
      expect.objectContaining({
        name: 'github-production',
        resource_group_name: 'g',
        parent_id: '${azurerm_user_assigned_identity.github_identity.id}',
        issuer: 'https://token.actions.githubusercontent.com',
        audience: ['api://AzureADTokenExchange'],
        subject: 'repo:me/rookery:environment:production',
      }),
    ]);
  });

  it('names the environment in the subject and, with what a credential name allows, in the name', () => {
    const credential = Object.values(resources(synth({ environment: 'staging.eu' }), 'azurerm_federated_identity_credential'))[0];
    expect(credential).toMatchObject({ subject: 'repo:me/rookery:environment:staging.eu', name: 'github-staging-eu' });
  });

  it('grants Contributor and a constrained RBAC administrator on the resource group, nothing wider', () => {
    const roles = Object.values(resources(synth(), 'azurerm_role_assignment')).map((r: any) => [r.role_definition_name, r.scope, r.principal_id, r.principal_type]);
    const principal = '${azurerm_user_assigned_identity.github_identity.principal_id}';
    expect(roles).toEqual([
      ['Contributor', 'RG_ID', principal, 'ServicePrincipal'],
      ['Role Based Access Control Administrator', 'RG_ID', principal, 'ServicePrincipal'],
    ]);
  });

  it('lets the RBAC administrator write and delete assignments of the named roles only', () => {
    const assigner = resources(synth(), 'azurerm_role_assignment').github_role_assigner;
    expect(assigner.condition_version).toBe('2.0');
    expect(assigner.condition).toBe(assignableRolesCondition(['AcrPull', 'Storage Blob Data Reader']));
    const guidLists = [...String(assigner.condition).matchAll(/GuidEquals \{([^}]*)\}/g)].map((m) => m[1]);
    // AcrPull and Storage Blob Data Reader's built-in ids, for writes (@Request) and deletes (@Resource).
    expect(guidLists).toEqual(Array(2).fill('7f951dda-4ed3-4680-a7ca-43fe172d538d, 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'));
    expect(assigner.condition).toContain("!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[");
    expect(assigner.condition).toContain("!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[");
    expect(resources(synth(), 'azurerm_role_assignment').github_contributor.condition).toBeUndefined();
  });
});
