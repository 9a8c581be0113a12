import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_ROLE_IDS } from '../../azure/constructs/github-identity.ts';
import { METRICS_PUBLISHER_ROLE } from '../../azure/constructs/scheduled-monitor.ts';
import { errorOf, loadAzure, makeRegistry, only, REPO_ROOT, synthAzure, type Synthesized } from './fixtures.ts';

const RESOURCE_GROUP_ID = '${azurerm_resource_group.resource_group.id}';
const GITHUB_PRINCIPAL = '${azurerm_user_assigned_identity.github_identity.principal_id}';

describe('the azure app with a GitHub repository (keyless deploys)', () => {
  let registry: string;
  let withGithub: Synthesized;
  beforeAll(async () => {
    registry = makeRegistry();
    withGithub = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rkgh', ROOKERY_REGISTRY: registry, ROOKERY_AZURE_GITHUB_REPOSITORY: 'me/rookery' });
  });

  it('adds an identity named from the prefix whose federated credential trusts only that repository’s production environment', () => {
    expect(withGithub.json.resource.azurerm_user_assigned_identity.github_identity).toMatchObject({ name: '${var.prefix}-github', resource_group_name: '${azurerm_resource_group.resource_group.name}' });
    expect(only(withGithub.json, 'azurerm_federated_identity_credential')).toMatchObject({
      issuer: 'https://token.actions.githubusercontent.com',
      audience: ['api://AzureADTokenExchange'],
      subject: 'repo:me/rookery:environment:production',
      parent_id: '${azurerm_user_assigned_identity.github_identity.id}',
    });
  });

  it('scopes every role of the GitHub identity to the resource group, never the subscription', () => {
    const mine = Object.values(withGithub.json.resource.azurerm_role_assignment).filter((r: any) => r.principal_id === GITHUB_PRINCIPAL);
    expect(mine.map((r: any) => r.role_definition_name).sort()).toEqual(['Contributor', 'Role Based Access Control Administrator']);
    for (const r of mine as any[]) expect(r.scope).toBe(RESOURCE_GROUP_ID);
    expect(withGithub.text).not.toMatch(/"scope": "[^"]*(subscription_id|\/subscriptions\/)/);
  });

  it('lets it assign exactly the roles the app assigns, so a deploy from the workflow can recreate them all', () => {
    const others = Object.values(withGithub.json.resource.azurerm_role_assignment).filter((r: any) => r.principal_id !== GITHUB_PRINCIPAL);
    const appRoles = [...new Set(others.map((r: any) => r.role_definition_name as string))].sort();
    // The scheduled monitor's publisher role is assignable only while the monitor is on (test/azure/capture-monitor.test.ts).
    const assigned = (Object.keys(BUILT_IN_ROLE_IDS) as (keyof typeof BUILT_IN_ROLE_IDS)[]).filter((r) => r !== METRICS_PUBLISHER_ROLE).sort();
    expect(appRoles).toEqual(assigned);
    const condition = withGithub.json.resource.azurerm_role_assignment.github_role_assigner.condition as string;
    for (const role of assigned) expect(condition.split(BUILT_IN_ROLE_IDS[role])).toHaveLength(3);
    expect(condition).not.toContain(BUILT_IN_ROLE_IDS[METRICS_PUBLISHER_ROLE]);
  });

  it('outputs the ids azure/login needs, and no secret', () => {
    expect(withGithub.json.output).toMatchObject({
      github_client_id: { value: '${azurerm_user_assigned_identity.github_identity.client_id}' },
      github_tenant_id: { value: '${data.azurerm_client_config.current.tenant_id}' },
      github_subscription_id: { value: '${data.azurerm_client_config.current.subscription_id}' },
    });
  });

  it('names a custom environment in the subject', async () => {
    const { json } = await synthAzure({
      ROOKERY_AZURE_PREFIX: 'rkgh',
      ROOKERY_REGISTRY: registry,
      ROOKERY_AZURE_GITHUB_REPOSITORY: 'octo-org/rookery.app',
      ROOKERY_AZURE_GITHUB_ENVIRONMENT: 'staging',
    });
    expect(only(json, 'azurerm_federated_identity_credential').subject).toBe('repo:octo-org/rookery.app:environment:staging');
  });

  it('adds nothing GitHub-related without the setting', async () => {
    const { json, text } = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rkgh', ROOKERY_REGISTRY: registry, ROOKERY_AZURE_GITHUB_ENVIRONMENT: 'staging' });
    expect(text).not.toMatch(/github|federated/i);
    expect(Object.keys(json.output).filter((k) => k.startsWith('github'))).toEqual([]);
    expect(Object.values(json.resource.azurerm_role_assignment).map((r: any) => r.role_definition_name)).not.toContain('Contributor');
  });

  it('reads the repository and environment from cdktf context too', async () => {
    const { config } = await loadAzure({ ROOKERY_AZURE_PREFIX: 'rkgh', ROOKERY_REGISTRY: registry }, { githubRepository: 'me/rookery', githubEnvironment: 'prod-eu' });
    expect(config.github).toEqual({ repository: 'me/rookery', environment: 'prod-eu' });
  });

  it.each([
    [{ ROOKERY_AZURE_GITHUB_REPOSITORY: 'rookery' }, {}, 'ROOKERY_AZURE_GITHUB_REPOSITORY="rookery" is not a GitHub repository: use OWNER/NAME'],
    [{ ROOKERY_AZURE_GITHUB_REPOSITORY: 'https://github.com/me/rookery' }, {}, 'ROOKERY_AZURE_GITHUB_REPOSITORY="https://github.com/me/rookery" is not a GitHub repository'],
    [{}, { githubRepository: 'me/rook ery' }, 'context "githubRepository"="me/rook ery" is not a GitHub repository'],
    [{ ROOKERY_AZURE_GITHUB_REPOSITORY: 'me/rookery', ROOKERY_AZURE_GITHUB_ENVIRONMENT: 'prod/eu' }, {}, 'ROOKERY_AZURE_GITHUB_ENVIRONMENT="prod/eu" is not a GitHub environment name'],
  ])('rejects %j %j in one line naming the setting and an example', async (env, context, start) => {
    const message = await errorOf(() => loadAzure({ ROOKERY_AZURE_PREFIX: 'rkgh', ROOKERY_REGISTRY: registry, ...env }, context));
    expect(message.startsWith(start)).toBe(true);
    expect(message).toMatch(/e\.g\. \S+/);
    expect(message).not.toContain('\n');
  });

  it('ends `cdktf synth` with that one line and no Terraform', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'rookery-azure-github-'));
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ROOKERY_AZURE_') && k !== 'CDKTF_CONTEXT_JSON'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'azure/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...clean, ROOKERY_AZURE_PREFIX: 'rkgh', ROOKERY_REGISTRY: registry, ROOKERY_AZURE_GITHUB_REPOSITORY: 'me', CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'azure: ROOKERY_AZURE_GITHUB_REPOSITORY="me" is not a GitHub repository: use OWNER/NAME as GitHub spells it, e.g. ROOKERY_AZURE_GITHUB_REPOSITORY=octo-org/rookery',
    ]);
    expect(existsSync(join(outdir, 'stacks', 'azure', 'cdk.tf.json'))).toBe(false);
  });
});
