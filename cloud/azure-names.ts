/**
 * Every Azure resource name derived from one prefix, and the rules each must
 * meet. Shared by the Azure app (azure/), which names resources with it, and
 * the `rookery` CLI (scripts/azure/), which finds them again; so it lives
 * in neither and imports nothing but model/.
 *
 * Storage account, key vault and container registry names are global across
 * Azure, and an online endpoint's name is unique per region, so the prefix is
 * the user's to choose; there is deliberately no default.
 */
import { UserError } from '../model/user-error.ts';

/** 3–21 lowercase letters/digits starting with a letter: the longest prefix for which every derived name below still fits. */
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{2,20}$/;
export const PREFIX_RULE = '3–21 lowercase letters or digits, starting with a letter';

export interface AzureNames {
  resourceGroup: string;
  storageAccount: string;
  keyVault: string;
  containerRegistry: string;
  logAnalytics: string;
  applicationInsights: string;
  workspace: string;
  endpointIdentity: string;
  /** The scheduled monitor's job identity (created only when the schedule is on). */
  monitorIdentity: string;
  endpoint: string;
  /** The identity batch jobs on the compute cluster run as. */
  jobIdentity: string;
  /** The identity GitHub Actions deploys as (created only when a GitHub repository is configured). */
  githubIdentity: string;
}

/**
 * The names for a prefix. Concatenation only, so the same function names
 * resources from a literal prefix (the CLI) or from a Terraform expression
 * such as `${var.prefix}` (the app).
 */
export function deriveNames(prefix: string): AzureNames {
  return {
    resourceGroup: `${prefix}-rg`,
    storageAccount: `${prefix}st`,
    keyVault: `${prefix}-kv`,
    containerRegistry: `${prefix}acr`,
    logAnalytics: `${prefix}-logs`,
    applicationInsights: `${prefix}-appi`,
    workspace: `${prefix}-mlw`,
    endpointIdentity: `${prefix}-endpoint-id`,
    monitorIdentity: `${prefix}-monitor-id`,
    endpoint: `${prefix}-endpoint`,
    jobIdentity: `${prefix}-job-id`,
    githubIdentity: `${prefix}-github`,
  };
}

interface NameRule {
  pattern: RegExp;
  rule: string;
}

/** Azure's naming rules for what `deriveNames` produces (Microsoft.* naming-rules reference). */
export const NAME_RULES: Record<keyof AzureNames, NameRule> = {
  resourceGroup: { pattern: /^[-\w.()]{1,89}[-\w()]$/, rule: '1–90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period' },
  storageAccount: { pattern: /^[a-z0-9]{3,24}$/, rule: '3–24 lowercase letters or digits, globally unique' },
  keyVault: { pattern: /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/, rule: '3–24 letters, digits or single hyphens, starting with a letter and ending with a letter or digit, globally unique' },
  containerRegistry: { pattern: /^[a-zA-Z0-9]{5,50}$/, rule: '5–50 letters or digits, globally unique' },
  logAnalytics: { pattern: /^[a-zA-Z0-9][a-zA-Z0-9-]{2,61}[a-zA-Z0-9]$/, rule: '4–63 letters, digits or hyphens, starting and ending with a letter or digit' },
  applicationInsights: { pattern: /^[^%&\\?/]{1,260}$/, rule: '1–260 characters without % & \\ ? /' },
  workspace: { pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/, rule: '3–33 letters, digits, hyphens or underscores, starting with a letter or digit' },
  endpointIdentity: { pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/, rule: '3–128 letters, digits, hyphens or underscores, starting with a letter or digit' },
  monitorIdentity: { pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/, rule: '3–128 letters, digits, hyphens or underscores, starting with a letter or digit' },
  endpoint: { pattern: /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/, rule: '3–32 letters, digits or hyphens, starting with a letter and not ending with a hyphen, unique in the region' },
  jobIdentity: { pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/, rule: '3–128 letters, digits, hyphens or underscores, starting with a letter or digit' },
  githubIdentity: { pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/, rule: '3–128 letters, digits, hyphens or underscores, starting with a letter or digit' },
};

/** Online deployment names follow the endpoint rule (3–32 characters). */
export const DEPLOYMENT_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;

/**
 * Checks a prefix and every name derived from it, throwing one message that
 * names the bad value, where it came from and the rule it breaks.
 */
export function validatePrefix(prefix: string, origin: string): AzureNames {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new UserError(
      `${origin}=${JSON.stringify(prefix)} is not a valid name prefix: use ${PREFIX_RULE} ` +
        `(it becomes the storage account ${JSON.stringify(`${prefix}st`)}, key vault ${JSON.stringify(`${prefix}-kv`)} and registry ${JSON.stringify(`${prefix}acr`)}, which must be unique across Azure)`,
    );
  }
  const names = deriveNames(prefix);
  for (const [key, name] of Object.entries(names) as [keyof AzureNames, string][]) {
    checkName(key, name, origin);
  }
  return names;
}

/** Checks one name against its Azure rule; `origin` says where the value came from. */
export function checkName(kind: keyof AzureNames, name: string, origin: string): void {
  const { pattern, rule } = NAME_RULES[kind];
  if (!pattern.test(name)) {
    throw new UserError(`${origin}: ${kind} name ${JSON.stringify(name)} breaks Azure's rule: ${rule}`);
  }
}
