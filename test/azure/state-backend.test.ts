import { beforeAll, describe, expect, it } from 'vitest';
import { errorOf, loadAzure, makeRegistry, synthAzure, type Synthesized } from './fixtures.ts';

const STATE = { ROOKERY_AZURE_STATE_STORAGE_ACCOUNT: 'rookerystate01', ROOKERY_AZURE_STATE_RESOURCE_GROUP: 'rookery-state-rg' };

/** cdktf's synth metadata (the top-level "//" block), which names the backend type. */
function metadata(s: Synthesized): Record<string, unknown> {
  return (s.json as unknown as { '//': { metadata: Record<string, unknown> } })['//'].metadata;
}

/** The synthesized Terraform without its backend (block and metadata name), for comparing everything else. */
function withoutBackend(s: Synthesized): unknown {
  const { backend: _backend, ...terraform } = s.json.terraform;
  const { backend: _name, ...rest } = metadata(s);
  return { ...s.json, '//': { ...(s.json as any)['//'], metadata: rest }, terraform };
}

describe('Terraform state in Azure Blob Storage (ROOKERY_AZURE_STATE_*)', () => {
  let registry: string;
  let local: Synthesized;
  let remote: Synthesized;
  beforeAll(async () => {
    registry = makeRegistry();
    local = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rkstate', ROOKERY_REGISTRY: registry });
    remote = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rkstate', ROOKERY_REGISTRY: registry, ...STATE });
  });

  it('uses the azurerm backend with exactly the account, container, key and group, signed in through Entra ID with OIDC', () => {
    expect(remote.json.terraform.backend).toEqual({
      azurerm: {
        storage_account_name: 'rookerystate01',
        container_name: 'tfstate',
        key: 'rookery-rkstate.tfstate',
        resource_group_name: 'rookery-state-rg',
        use_azuread_auth: true,
        use_oidc: true,
      },
    });
    expect(JSON.stringify(remote.json.terraform)).not.toMatch(/access_key|sas_token|client_secret|msi|\.rookery\/azure/);
    expect(remote.text).not.toContain('"local"');
  });

  it('changes nothing but the backend', () => {
    expect(withoutBackend(remote)).toEqual(withoutBackend(local));
  });

  it('keeps the local state file when unset', () => {
    expect(local.json.terraform.backend).toEqual({ local: { path: local.config.paths.stateFile } });
    expect(local.config.paths.stateFile).toMatch(/^(\.\.\/)+\.rookery\/azure\/terraform\.tfstate$/);
    expect(metadata(local).backend).toBe('local');
    expect(metadata(remote).backend).toBe('azurerm');
    expect(local.config.remoteState).toBeUndefined();
  });

  it('takes a custom container and key', async () => {
    const { json } = await synthAzure({
      ROOKERY_AZURE_PREFIX: 'rkstate',
      ROOKERY_REGISTRY: registry,
      ...STATE,
      ROOKERY_AZURE_STATE_CONTAINER: 'team-state',
      ROOKERY_AZURE_STATE_KEY: 'prod/rookery.tfstate',
    });
    expect(json.terraform.backend.azurerm).toMatchObject({ container_name: 'team-state', key: 'prod/rookery.tfstate' });
  });

  it('writes the same backend block in HCL (npm run azure:hcl)', async () => {
    const { text } = await synthAzure({ ROOKERY_AZURE_PREFIX: 'rkstate', ROOKERY_REGISTRY: registry, ...STATE }, { hcl: true });
    const block = text.match(/backend "azurerm" \{[^}]*\}/)?.[0] ?? '';
    for (const line of [/storage_account_name\s*=\s*"rookerystate01"/, /container_name\s*=\s*"tfstate"/, /use_oidc\s*=\s*true/, /use_azuread_auth\s*=\s*true/]) {
      expect(block).toMatch(line);
    }
    expect(text).not.toContain('backend "local"');
  });

  it('reads the settings from cdktf context, the environment winning', async () => {
    const context = { stateStorageAccount: 'ctxstate', stateResourceGroup: 'ctx-rg', stateContainer: 'ctx-container' };
    const fromContext = await loadAzure({ ROOKERY_AZURE_PREFIX: 'rkstate', ROOKERY_REGISTRY: registry }, context);
    expect(fromContext.config.remoteState).toEqual({ storageAccount: 'ctxstate', resourceGroup: 'ctx-rg', container: 'ctx-container', key: 'rookery-rkstate.tfstate' });
    const fromEnv = await loadAzure({ ROOKERY_AZURE_PREFIX: 'rkstate', ROOKERY_REGISTRY: registry, ROOKERY_AZURE_STATE_STORAGE_ACCOUNT: 'envstate' }, context);
    expect(fromEnv.config.remoteState).toMatchObject({ storageAccount: 'envstate', resourceGroup: 'ctx-rg' });
  });

  it.each([
    [{ ROOKERY_AZURE_STATE_STORAGE_ACCOUNT: 'rookerystate01' }, 'ROOKERY_AZURE_STATE_STORAGE_ACCOUNT is set but ROOKERY_AZURE_STATE_RESOURCE_GROUP (or context "stateResourceGroup") is not; '],
    [{ ROOKERY_AZURE_STATE_RESOURCE_GROUP: 'rookery-state-rg' }, 'ROOKERY_AZURE_STATE_RESOURCE_GROUP is set but ROOKERY_AZURE_STATE_STORAGE_ACCOUNT (or context "stateStorageAccount") is not; '],
    [{ ROOKERY_AZURE_STATE_CONTAINER: 'tfstate' }, 'ROOKERY_AZURE_STATE_CONTAINER is set but ROOKERY_AZURE_STATE_STORAGE_ACCOUNT'],
    [{ ROOKERY_AZURE_STATE_KEY: 'x.tfstate' }, 'ROOKERY_AZURE_STATE_KEY is set but ROOKERY_AZURE_STATE_STORAGE_ACCOUNT'],
    [{ ...STATE, ROOKERY_AZURE_STATE_STORAGE_ACCOUNT: 'Rookery-State' }, 'ROOKERY_AZURE_STATE_STORAGE_ACCOUNT="Rookery-State" is not a storage account name: use 3–24 lowercase letters or digits'],
    [{ ...STATE, ROOKERY_AZURE_STATE_STORAGE_ACCOUNT: 'st' }, 'ROOKERY_AZURE_STATE_STORAGE_ACCOUNT="st" is not a storage account name'],
    [{ ...STATE, ROOKERY_AZURE_STATE_STORAGE_ACCOUNT: 'a'.repeat(25) }, 'is not a storage account name'],
    [{ ...STATE, ROOKERY_AZURE_STATE_RESOURCE_GROUP: 'state-rg.' }, 'ROOKERY_AZURE_STATE_RESOURCE_GROUP="state-rg." is not a resource group name: use 1–90 letters'],
    [{ ...STATE, ROOKERY_AZURE_STATE_RESOURCE_GROUP: 'state/rg' }, 'is not a resource group name'],
    [{ ...STATE, ROOKERY_AZURE_STATE_CONTAINER: 'TFState' }, 'ROOKERY_AZURE_STATE_CONTAINER="TFState" is not a blob container name: use 3–63 lowercase letters'],
    [{ ...STATE, ROOKERY_AZURE_STATE_CONTAINER: 'tf--state' }, 'is not a blob container name'],
    [{ ...STATE, ROOKERY_AZURE_STATE_CONTAINER: 'tf' }, 'is not a blob container name'],
    [{ ...STATE, ROOKERY_AZURE_STATE_CONTAINER: 'tfstate-' }, 'is not a blob container name'],
    [{ ...STATE, ROOKERY_AZURE_STATE_KEY: 'my state.tfstate' }, 'ROOKERY_AZURE_STATE_KEY="my state.tfstate" is not a state blob name'],
    [{ ...STATE, ROOKERY_AZURE_STATE_KEY: 'state/' }, 'is not a state blob name'],
  ])('rejects %j in one line naming the setting and the fix', async (extra, expected) => {
    const message = await errorOf(() => loadAzure({ ROOKERY_AZURE_PREFIX: 'rkstate', ROOKERY_REGISTRY: registry, ...extra }));
    expect(message).toMatch(/^ROOKERY_AZURE_STATE_[A-Z_]+(="[^"]*")? is /);
    expect(message).toContain(expected);
    expect(message).toMatch(/: use |; set both/);
    expect(message).not.toContain('\n');
  });

  it('says how to fix a half-set backend: both settings, or none for local state', async () => {
    const message = await errorOf(() => loadAzure({ ROOKERY_AZURE_PREFIX: 'rkstate', ROOKERY_REGISTRY: registry }, { stateStorageAccount: 'rookerystate01' }));
    expect(message).toBe(
      'context "stateStorageAccount" is set but ROOKERY_AZURE_STATE_RESOURCE_GROUP (or context "stateResourceGroup") is not; ' +
        'remote Terraform state needs both ROOKERY_AZURE_STATE_STORAGE_ACCOUNT and ROOKERY_AZURE_STATE_RESOURCE_GROUP; set both, or unset every ROOKERY_AZURE_STATE_* to keep the local state file',
    );
  });
});
