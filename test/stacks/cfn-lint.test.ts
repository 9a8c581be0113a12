// Every template the CDK app synthesizes, in each documented context variant
// that changes the templates, through cfn-lint (an independent check against
// CloudFormation's resource specifications): no error, and every warning
// acknowledged with its reason in cfn-lint-acknowledged.ts.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCdkApp } from '../helpers/cdk-app.ts';
import { registryWithChampion } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { CFN_LINT_ACKNOWLEDGED, type CfnLintAcknowledgement } from './cfn-lint-acknowledged.ts';
import { synthAll, VARIANTS, type Variant } from './context-variants.ts';

const CFN_LINT_VERSION = '1.51.0';
const tempDir = useTempDirs('rookery-cfn-lint-');

interface Synth {
  code: number | null;
  stderr: string;
  /** Stacks carrying an error annotation: `cdk synth` and `cdk deploy` refuse them, so they are not linted. */
  refused: string[];
  /** Template file of each stack the CLI would deploy. */
  templates: Record<string, string>;
}

interface Finding {
  variant: string;
  stack: string;
  rule: string;
  level: string;
  resource: string;
  text: string;
}

function probeCfnLint(): string | undefined {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

/** The manifest's stacks, split into those with an error annotation and the rest. */
function stacksOf(outdir: string): Pick<Synth, 'refused' | 'templates'> {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  const refused: string[] = [];
  const templates: Record<string, string> = {};
  for (const [name, artifact] of Object.entries<any>(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const metadata = artifact.additionalMetadataFile ? JSON.parse(readFileSync(join(outdir, artifact.additionalMetadataFile), 'utf8')) : (artifact.metadata ?? {});
    const entries = Object.values<any[]>(metadata).flat();
    if (entries.some((e) => e.type === 'aws:cdk:error')) refused.push(name);
    else templates[name] = join(outdir, artifact.properties.templateFile);
  }
  return { refused: refused.sort(), templates };
}

async function synth(variant: Variant, registries: { model: string; empty: string }): Promise<Synth> {
  const outdir = tempDir();
  const { code, stderr } = await runCdkApp({ context: variant.context, outdir, registry: variant.model ? registries.model : registries.empty });
  return { code, stderr, ...(code === 0 ? stacksOf(outdir) : { refused: [], templates: {} }) };
}

/** One cfn-lint run over every template of every variant (its start-up is most of its time). */
function lint(synths: Record<string, Synth>): Promise<Finding[]> {
  const owner = new Map<string, { variant: string; stack: string }>();
  for (const [variant, s] of Object.entries(synths)) for (const [stack, file] of Object.entries(s.templates)) owner.set(file, { variant, stack });
  return new Promise((resolve, reject) => {
    const child = spawn('cfn-lint', ['--format', 'json', '--non-zero-exit-code', 'none', '--', ...owner.keys()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`cfn-lint exited ${code}: ${stderr}`));
      const found: any[] = JSON.parse(stdout);
      resolve(
        found.map((m) => ({
          ...owner.get(m.Filename)!,
          rule: m.Rule.Id,
          level: m.Level,
          resource: String(m.Location.Path[1] ?? ''),
          text: `${m.Rule.Id} ${m.Level} ${owner.get(m.Filename)!.stack}/${m.Location.Path.join('/')}: ${m.Message}`,
        })),
      );
    });
  });
}

const covers = (ack: CfnLintAcknowledgement, f: Finding) => ack.rule === f.rule && ack.stack === f.stack && ack.resource.test(f.resource);

const installed = probeCfnLint();

if (installed === undefined) {
  it.skip(`cfn-lint over every synthesized template: cfn-lint is not installed (pip install cfn-lint==${CFN_LINT_VERSION})`, () => {});
} else {
  describe(`cfn-lint (${installed}) over every template \`cdk synth\` writes`, () => {
    const synths: Record<string, Synth> = {};
    let findings: Finding[] = [];

    beforeAll(async () => {
      const registries = { model: await registryWithChampion(tempDir()), empty: join(tempDir(), 'registry') };
      Object.assign(synths, await synthAll((variant) => synth(variant, registries)));
      findings = await lint(synths);
    }, 600_000);

    it(`is cfn-lint ${CFN_LINT_VERSION}, the version the acknowledgements were made with`, () => {
      expect(installed).toBe(`cfn-lint ${CFN_LINT_VERSION}`);
    });

    for (const [name, variant] of Object.entries(VARIANTS)) {
      it(`${name}: synthesizes, and lints every stack but a stand-in the CLI refuses`, () => {
        const s = synths[name];
        expect(s.code, s.stderr).toBe(0);
        expect(s.refused).toEqual(variant.model ? [] : ['EndpointStack']);
        expect(Object.keys(s.templates)).toEqual(expect.arrayContaining(['MlflowStack', 'PipelineStack']));
      });

      it(`${name}: no cfn-lint error, and every other finding acknowledged in cfn-lint-acknowledged.ts`, () => {
        const mine = findings.filter((f) => f.variant === name);
        expect(mine.filter((f) => f.level === 'Error').map((f) => f.text)).toEqual([]);
        expect(mine.filter((f) => !CFN_LINT_ACKNOWLEDGED.some((ack) => covers(ack, f))).map((f) => f.text)).toEqual([]);
      });
    }

    it('has no stale acknowledgement: each one covers a finding in some variant', () => {
      const stale = CFN_LINT_ACKNOWLEDGED.filter((ack) => !findings.some((f) => covers(ack, f)));
      expect(stale.map((ack) => `${ack.rule} ${ack.stack}/${ack.resource.source}`)).toEqual([]);
    });
  });
}
