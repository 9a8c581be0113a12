// cfn-guard 3.1.1 with AWS Control Tower's proactive controls (the validation plugin stacks/app.ts
// adds): every template of every documented context variant has no finding but those acknowledged
// in stacks/support/guard.ts, each with its reason, and no acknowledgement or disabled rule is stale.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { addGuardChecks, GUARD_ACKNOWLEDGED, GUARD_DISABLED, GUARD_PLUGIN } from '../../stacks/support/guard.ts';
import { runCdkApp } from '../helpers/cdk-app.ts';
import { registryWithChampion } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { synthAll, VARIANTS, type Variant } from './context-variants.ts';

const tempDir = useTempDirs('rookery-guard-');
const PACKAGE = dirname(createRequire(import.meta.url).resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
const RULES = join(PACKAGE, 'rules', 'control-tower', 'cfn-guard');

/** The binary the plugin runs (its own platform mapping: linux is "ubuntu"). */
function guardBinary(): string {
  const os = platform() === 'darwin' ? 'macos' : 'ubuntu';
  return join(PACKAGE, 'bin', os, arch() === 'arm64' ? 'aarch64' : 'x86_64', 'cfn-guard');
}

function probeGuard(): string | undefined {
  const probe = spawnSync(guardBinary(), ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

interface Synth {
  code: number | null;
  stderr: string;
  outdir: string;
  /** The plugin's entry of validation-report.json (absent when it found nothing at all). */
  report?: { violations: any[]; suppressedViolations?: any[] };
}

async function synth(variant: Variant, registries: { model: string; empty: string }): Promise<Synth> {
  const outdir = tempDir();
  const { code, stderr } = await runCdkApp({ context: variant.context, outdir, registry: variant.model ? registries.model : registries.empty });
  const reports = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')).pluginReports;
  return { code, stderr, outdir, report: reports.find((r: any) => r.pluginName === GUARD_PLUGIN) };
}

/** "rule at path" for each acknowledged finding; the path is where the acknowledgement sits. */
const suppressed = (s: Synth) => (s.report?.suppressedViolations ?? []).map((v) => `${v.ruleName} at ${v.acknowledgedAt}`);

function ruleFile(file: string): string {
  const found = readdirSync(RULES, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith(`/${file}.guard`));
  if (!found) throw new Error(`no rule file ${file}.guard in ${RULES}`);
  return join(RULES, found);
}

const installed = probeGuard();

if (installed === undefined) {
  it.skip(`cfn-guard over every synthesized template: ${guardBinary()} does not run here (npm ci installs @cdklabs/cdk-validator-cfnguard, whose binaries are for linux and macOS on x64 and arm64)`, () => {});
} else {
  describe(`${installed} with AWS Control Tower's rules over every template \`cdk synth\` writes`, () => {
    let synths: Record<string, Synth> = {};

    beforeAll(async () => {
      const registries = { model: await registryWithChampion(tempDir()), empty: join(tempDir(), 'registry') };
      synths = await synthAll((variant) => synth(variant, registries));
    }, 900_000);

    it('is the cfn-guard the acknowledgements were made with', () => {
      expect(installed).toBe('cfn-guard 3.1.1');
    });

    for (const name of Object.keys(VARIANTS)) {
      it(`${name}: synthesizes with no unacknowledged finding, each acknowledged one with its control and reason`, () => {
        const s = synths[name];
        expect(s.code, s.stderr).toBe(0);
        const failures = (s.report?.violations ?? []).flatMap((v) => v.violatingConstructs.map((c: any) => `${v.ruleName} ${c.constructPath}: ${v.description}`));
        expect(failures).toEqual([]);
        for (const v of s.report?.suppressedViolations ?? []) {
          const control = /^\[(CT\.[A-Z0-9-]+\.PR\.\d+)\]/.exec(v.description)?.[1];
          expect(v.reason, `${v.ruleName} at ${v.acknowledgedAt}`).toMatch(new RegExp(`^${control!.replace(/\./g, '\\.')}: .{80,}`));
        }
      });
    }

    it('has no stale acknowledgement: each rule and path covers a finding in some variant', () => {
      const seen = new Set(Object.values(synths).flatMap(suppressed));
      const stale = GUARD_ACKNOWLEDGED.flatMap((ack) => ack.paths.map((path) => `${ack.rule} at ${path}`)).filter((entry) => !seen.has(entry));
      expect(stale).toEqual([]);
    });

    it('has no needless disabled rule: each would report a finding in some variant', () => {
      for (const disabled of GUARD_DISABLED) {
        const guard = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [ruleFile(disabled.file)] });
        const found = Object.values(synths).some((s) => {
          const templatePaths = readdirSync(s.outdir).filter((f) => f.endsWith('.template.json')).map((f) => join(s.outdir, f));
          return guard.validate({ templatePaths, appConstruct: new App() }).violations.some((v) => v.ruleName === disabled.rule && v.description?.startsWith(`[${disabled.control}]`));
        });
        expect(found, disabled.file).toBe(true);
      }
    });
  });

  describe('addGuardChecks', () => {
    it('fails synth on a finding the table does not acknowledge, and passes the ones it does on the same resource type', () => {
      const app = new App({ outdir: tempDir() });
      addGuardChecks(app);
      // The table's paths: PipelineStack/RunsBucket is acknowledged for object lock, PipelineStack/Other is not.
      const stack = new Stack(app, 'PipelineStack');
      for (const id of ['RunsBucket', 'Other']) new s3.Bucket(stack, id, { versioned: true, enforceSSL: true });
      new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_YEAR });
      let message = '';
      try {
        app.synth();
      } catch (err) {
        message = (err as Error).message;
      }
      // Each finding prints as "ERROR [control]: description" over the construct path it is on.
      const finding = (control: string, path: string) => new RegExp(`\\[${control.replace(/\./g, '\\.')}\\][^\\n]*\\n\\s+${path}/`);
      expect(message).toMatch(finding('CT.CLOUDWATCH.PR.3', 'PipelineStack/Logs'));
      expect(message).toMatch(finding('CT.S3.PR.9', 'PipelineStack/Other'));
      expect(message).not.toMatch(finding('CT.S3.PR.9', 'PipelineStack/RunsBucket'));
      expect(message).toMatch(finding('CT.S3.PR.6', 'PipelineStack/RunsBucket'));
    });
  });
}
