// The GitHub Actions workflows, checked offline (nothing here talks to GitHub): GitHub's workflow
// schema (@action-validator/cli), actions pinned to commit SHAs, least permissions, keyless cloud
// logins with the roles and variables CicdStack and the Azure app define, and every command the
// workflows run documented in the README.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentedCommands, runCommands } from './run-commands.ts';
import { actionOf, CLOUD_LOGINS, githubFiles, readWorkflows, ROOT, type Job } from './workflow-files.ts';

const workflows = readWorkflows();
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const VALIDATOR = join(ROOT, 'node_modules', '.bin', 'action-validator');
const jobs = workflows.flatMap((w) => Object.entries(w.jobs).map(([id, job]) => ({ where: `${w.file} ${id}`, workflow: w, job })));
const logsIn = (job: Job) => job.steps.some((s) => CLOUD_LOGINS.has(actionOf(s) ?? ''));
const envName = (job: Job) => (typeof job.environment === 'string' ? job.environment : job.environment?.name);

/** The repository variables the workflows may read: ids and names only (see README "CI/CD"). */
const VARIABLES = ['AWS_REGION', 'AWS_DEPLOY_ROLE_ARN', 'AWS_OPS_ROLE_ARN', 'CAPTURE_URI', 'GROUND_TRUTH_URI', 'STATE_MACHINE_ARN', 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_SUBSCRIPTION_ID', 'ROOKERY_AZURE_PREFIX', 'ROOKERY_AZURE_STATE_STORAGE_ACCOUNT', 'ROOKERY_AZURE_STATE_RESOURCE_GROUP'];

describe('workflows', () => {
  it('are the four the README describes', () => {
    expect(workflows.map((w) => w.file)).toEqual(['ci.yml', 'deploy.yml', 'monitor.yml', 'train.yml']);
  });

  it.each(workflows.map((w) => [w.file, w.path]))('%s is a workflow GitHub accepts (action-validator, offline)', (_file, path) => {
    // Exit 0 and no output when valid; the schema errors as JSON otherwise.
    expect(execFileSync(VALIDATOR, [path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toBe('');
  });

  it('the validator rejects what GitHub would (it is really validating)', () => {
    const bad = join(ROOT, 'test', 'fixtures', 'workflows', 'invalid.yml');
    let failure: { status?: number; stderr?: string } = {};
    try {
      execFileSync(VALIDATOR, [bad], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      failure = err as typeof failure;
    }
    expect(failure.status).toBe(1);
    expect(failure.stderr).toContain("Additional property 'wit' is not allowed");
    expect(failure.stderr).toContain('/jobs/build/permissions/id-token');
  });

  it('pin every action to a full commit SHA with its version as a comment, one SHA per action', () => {
    const pins = new Map<string, string>();
    for (const w of workflows) {
      const lines = w.text.split('\n').filter((l) => /^\s*(-\s+)?uses:/.test(l));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        const m = /uses:\s+([\w.-]+\/[\w./-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+$/.exec(line);
        expect(m, `${w.file}: ${line.trim()}`).not.toBeNull();
        const [, action, sha] = m!;
        expect(pins.get(action) ?? sha, `${action} pinned to two SHAs`).toBe(sha);
        pins.set(action, sha);
      }
    }
    for (const { where, job } of jobs) for (const s of job.steps) if (s.uses) expect(s.uses, where).toMatch(/^[^@\s]+@[0-9a-f]{40}$/);
  });

  it('grant no permission at the top level beyond reading the code, and never write-all', () => {
    for (const w of workflows) {
      expect([{}, { contents: 'read' }], w.file).toContainEqual(w.permissions);
      expect(w.text, w.file).not.toMatch(/write-all|read-all/);
    }
  });

  it('give each job its own permissions: contents: read, and id-token: write only where it logs in to a cloud', () => {
    for (const { where, job } of jobs) {
      const expected = logsIn(job) ? { contents: 'read', 'id-token': 'write' } : { contents: 'read' };
      expect(job.permissions, where).toEqual(expected);
    }
  });

  it('log in keylessly: roles and ids from repository variables, each role from the job its trust policy names', () => {
    for (const { where, workflow, job } of jobs) {
      for (const s of job.steps) {
        if (actionOf(s) === 'aws-actions/configure-aws-credentials') {
          expect(Object.keys(s.with ?? {}).sort(), where).toEqual(['aws-region', 'role-to-assume']);
          expect(s.with?.['aws-region']).toBe('${{ vars.AWS_REGION }}');
          // DeployRole trusts `environment:production`; OpsRole trusts `ref:refs/heads/main`, which a job
          // with an environment no longer presents as its subject.
          if (workflow.file === 'deploy.yml') {
            expect(s.with?.['role-to-assume'], where).toBe('${{ vars.AWS_DEPLOY_ROLE_ARN }}');
            expect(envName(job), where).toBe('production');
          } else {
            expect(s.with?.['role-to-assume'], where).toBe('${{ vars.AWS_OPS_ROLE_ARN }}');
            expect(envName(job), where).toBeUndefined();
          }
        }
        if (actionOf(s) === 'azure/login') {
          expect(s.with, where).toEqual({ 'client-id': '${{ vars.AZURE_CLIENT_ID }}', 'tenant-id': '${{ vars.AZURE_TENANT_ID }}', 'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}' });
          // The federated credential's subject is `environment:production`.
          expect(envName(job), where).toBe('production');
        }
      }
    }
  });

  it('read only the documented repository variables, and the README names each', () => {
    const used = new Set(workflows.flatMap((w) => [...w.text.matchAll(/\bvars\.(\w+)/g)].map((m) => m[1])));
    expect([...used].sort()).toEqual([...VARIABLES].sort());
    const section = readme.slice(readme.indexOf('## CI/CD'), readme.indexOf('## Development'));
    for (const v of VARIABLES) expect(section, v).toContain(`\`${v}\``);
  });

  it('hold no secret and no access key anywhere under .github/', () => {
    for (const { path, text } of githubFiles()) {
      expect(text, path).not.toMatch(/\bsecrets\./);
      expect(text, path).not.toMatch(/\b(AKIA|ASIA)[0-9A-Z]{16}\b/);
      expect(text, path).not.toMatch(/aws-access-key-id|aws-secret-access-key|aws-session-token|client-secret|creds:/i);
    }
  });

  it('run only commands the README documents (in a code block, after the rule in run-commands.ts)', () => {
    const documented = documentedCommands(readme);
    const run = jobs.flatMap(({ where, job }) => job.steps.filter((s) => s.run).flatMap((s) => runCommands(s.run!).map((c) => ({ where, c }))));
    expect(run.length).toBeGreaterThan(10);
    const missing = run.filter(({ c }) => !documented.has(c)).map(({ where, c }) => `${where}: ${c}`);
    expect(missing).toEqual([]);
  });

  it('deploy: AWS and Azure jobs behind the production environment; Azure only when its app changed or by hand', () => {
    const deploy = workflows.find((w) => w.file === 'deploy.yml')!;
    expect(Object.keys(deploy.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(deploy.on.push).toEqual({ branches: ['main'] });
    expect(envName(deploy.jobs.aws)).toBe('production');
    expect(envName(deploy.jobs.azure)).toBe('production');
    expect(deploy.jobs.azure.needs).toBe('changes');
    expect(deploy.jobs.azure.if).toContain("github.event_name == 'workflow_dispatch'");
    expect(deploy.jobs.azure.if).toContain("needs.changes.outputs.azure == 'true'");
    const filters = deploy.jobs.changes.steps.find((s) => s.id === 'filter')!.with!.filters as string;
    for (const dir of ['azure', 'cloud', 'container', 'model', 'registry']) expect(filters).toContain(`'${dir}/**'`);
    // The Azure job deploys as the GitHub identity the app creates for this repository and environment:
    // it must name both, or the plan would delete the identity it runs as.
    const azureEnv = (deploy.jobs.azure as { env?: Record<string, string> }).env ?? {};
    expect(azureEnv.ROOKERY_AZURE_GITHUB_REPOSITORY).toBe('${{ github.repository }}');
    expect(azureEnv.ROOKERY_AZURE_GITHUB_ENVIRONMENT ?? 'production').toBe(envName(deploy.jobs.azure));
    expect(azureEnv.ARM_USE_OIDC).toBe('true');
  });

  it('ci, train and monitor run on the events the issue names; monitor fails on a failed check', () => {
    const on = (file: string) => Object.keys(workflows.find((w) => w.file === file)!.on).sort();
    expect(on('ci.yml')).toEqual(['pull_request', 'push']);
    expect(on('train.yml')).toEqual(['schedule', 'workflow_dispatch']);
    expect(on('monitor.yml')).toEqual(['schedule', 'workflow_dispatch']);
    const monitor = workflows.find((w) => w.file === 'monitor.yml')!.jobs.aws.steps.find((s) => s.run?.includes('rookery monitor'))!;
    expect(monitor.run).not.toContain('--no-fail');
    expect(monitor.run).toContain('--summary-markdown "$GITHUB_STEP_SUMMARY"');
  });
});

describe('the run-command rule', () => {
  it('drops comments, blanks and job-summary plumbing, joins continuations, removes output copies', () => {
    const script = [
      '# a comment',
      `echo '### cdk diff' >> "$GITHUB_STEP_SUMMARY"`,
      'npx cdk diff \\',
      '  --all 2>&1 | tee -a "$GITHUB_STEP_SUMMARY"',
      'tail -n 60 pipeline.log >> "$GITHUB_STEP_SUMMARY"',
      '',
      'CHECKPOINT_DISABLE=1 npx cdktf synth',
      'npx rookery pipeline run 2>&1 | tee pipeline.log',
    ].join('\n');
    expect(runCommands(script)).toEqual(['npx cdk diff --all', 'CHECKPOINT_DISABLE=1 npx cdktf synth', 'npx rookery pipeline run']);
  });

  it('keeps a command that merely mentions the summary but does more than write text into it', () => {
    expect(runCommands('npx rookery monitor --summary-markdown "$GITHUB_STEP_SUMMARY"')).toEqual(['npx rookery monitor --summary-markdown "$GITHUB_STEP_SUMMARY"']);
    expect(runCommands('curl https://example.invalid >> "$GITHUB_STEP_SUMMARY"')).toEqual(['curl https://example.invalid >> "$GITHUB_STEP_SUMMARY"']);
  });

  it('reads documented commands from fenced code blocks only, without trailing comments', () => {
    const doc = ['npm ci', '```', 'npm ci      # install', 'npx cdk synth', '```', 'npm test'].join('\n');
    expect([...documentedCommands(doc)]).toEqual(['npm ci', 'npx cdk synth']);
  });
});
