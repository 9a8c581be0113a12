import { describe, expect, it } from 'vitest';
import { deriveNames, NAME_RULES, validatePrefix, type AzureNames } from '../../cloud/azure-names.ts';
import { UserError } from '../../model/user-error.ts';

describe('Azure names from one prefix', () => {
  it('derives every name and each meets Azure’s rule at the shortest and longest prefix', () => {
    for (const prefix of ['abc', 'a'.repeat(21), 'rk2026x']) {
      const names = validatePrefix(prefix, 'test');
      for (const [kind, name] of Object.entries(names) as [keyof AzureNames, string][]) {
        expect(name, `${kind} for ${prefix}`).toMatch(NAME_RULES[kind].pattern);
      }
    }
    expect(deriveNames('rk1')).toEqual({
      resourceGroup: 'rk1-rg',
      storageAccount: 'rk1st',
      keyVault: 'rk1-kv',
      containerRegistry: 'rk1acr',
      logAnalytics: 'rk1-logs',
      applicationInsights: 'rk1-appi',
      workspace: 'rk1-mlw',
      endpointIdentity: 'rk1-endpoint-id',
      monitorIdentity: 'rk1-monitor-id',
      endpoint: 'rk1-endpoint',
      jobIdentity: 'rk1-job-id',
      githubIdentity: 'rk1-github',
    });
  });

  it.each([
    ['Rookery', 'uppercase'],
    ['rk', 'too short'],
    ['a'.repeat(22), 'too long: the storage account would pass 24 characters'],
    ['1rookery', 'starts with a digit: key vault names must start with a letter'],
    ['rk-demo', 'hyphen: storage accounts allow none'],
    ['rk_demo', 'underscore'],
    ['', 'empty'],
  ])('rejects %j (%s) naming the value, its origin and the rule', (prefix) => {
    let error: unknown;
    try {
      validatePrefix(prefix, 'ROOKERY_AZURE_PREFIX');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).toContain(`ROOKERY_AZURE_PREFIX=${JSON.stringify(prefix)}`);
    expect(message).toContain('3–21 lowercase letters or digits, starting with a letter');
    expect(message.split('\n')).toHaveLength(1);
  });

  it('derives names from a Terraform expression by plain concatenation', () => {
    expect(deriveNames('${var.prefix}').storageAccount).toBe('${var.prefix}st');
  });

  it('applies Azure’s own rules, not just the prefix pattern', () => {
    expect('ab--cd').not.toMatch(NAME_RULES.keyVault.pattern);
    expect('abcd-').not.toMatch(NAME_RULES.endpoint.pattern);
    expect('abcd').not.toMatch(NAME_RULES.containerRegistry.pattern);
    expect('a'.repeat(25)).not.toMatch(NAME_RULES.storageAccount.pattern);
  });
});
