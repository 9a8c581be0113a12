// stacks/app.ts as `cdk synth` runs it: a child process writing a cloud
// assembly, with a temporary registry that is empty or holds one trained
// model, never the working directory's .rookery/.
import { readdirSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { nagFindings, runCdkApp, templates } from '../helpers/cdk-app.ts';
import { registryWithChampion } from '../helpers/penguins.ts';
import { useTempDirs } from '../helpers/temp.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const tempDir = useTempDirs('rookery-cdk-app-');

interface Run {
  code: number | null;
  stderr: string;
  outdir: string;
}

/** `npx tsx stacks/app.ts` with the context `cdk synth -c ...` would pass and the given registry. */
async function runApp(context: Record<string, string>, registry: string): Promise<Run> {
  const outdir = tempDir();
  const { code, stderr } = await runCdkApp({ context, outdir, registry });
  return { code, stderr, outdir };
}

let emptyRegistry: string;
let modelRegistry: string;
const MONITORING_ELSEWHERE = { enableMonitoring: 'true', captureUri: 's3://rookery-capture-123/capture', groundTruthUri: 's3://rookery-capture-123/ground-truth' };
const runs: Record<string, Run> = {};
const CASES = {
  'no model': () => runApp({}, emptyRegistry),
  'no model, monitoring a bucket given in context': () => runApp(MONITORING_ELSEWHERE, emptyRegistry),
  'a model': () => runApp({}, modelRegistry),
  'a model, -c enableMonitoring=true': () => runApp({ enableMonitoring: 'true' }, modelRegistry),
};

beforeAll(async () => {
  emptyRegistry = join(tempDir(), 'registry');
  modelRegistry = await registryWithChampion(tempDir());
  // Two at a time: each is a CPU-bound synth of every stack.
  const names = Object.keys(CASES) as (keyof typeof CASES)[];
  for (let i = 0; i < names.length; i += 2) {
    const batch = names.slice(i, i + 2);
    const done = await Promise.all(batch.map((name) => CASES[name]()));
    batch.forEach((name, j) => (runs[name] = done[j]));
  }
}, 600_000);

describe('stacks/app.ts (what `cdk synth` runs)', () => {
  for (const name of Object.keys(CASES)) {
    it(`synthesizes every stack with ${name}: exit 0, no cdk-nag finding`, () => {
      const run = runs[name];
      expect(run.stderr).not.toMatch(/AwsSolutions-|ValidationFailed/);
      expect(run.code, run.stderr).toBe(0);
      expect(nagFindings(run.outdir)).toEqual([]);
      const stacks = templates(run.outdir);
      expect(Object.keys(stacks).sort()).toEqual(['EndpointStack', 'MlflowStack', 'PipelineStack']);
      const monitoring = /monitoring|enableMonitoring/i.test(name);
      const jobs = Object.values(stacks.PipelineStack.Resources).filter((r: any) => r.Type === 'AWS::Batch::JobDefinition') as any[];
      expect(jobs.some((j) => j.Properties.ContainerProperties.Command.slice(0, 2).join(' ') === 'pipeline monitor')).toBe(monitoring);
      const endpoint = Object.values(stacks.EndpointStack.Resources ?? {}).some((r: any) => r.Type === 'AWS::SageMaker::Endpoint');
      expect(endpoint).toBe(!name.startsWith('no model'));
    });
  }

  it('serves the registry champion and names it without a path', () => {
    const outputs = templates(runs['a model'].outdir).EndpointStack.Outputs;
    expect(outputs.ServedModel.Value).toMatch(/^penguins@champion \(version 1\) from the local registry, content sha256 [0-9a-f]{12}$/);
  });

  it('without a model, EndpointStack stands in with the reason, and enableMonitoring alone says what it needs in one line', async () => {
    const metadata = readFileSync(join(runs['no model'].outdir, 'EndpointStack.metadata.json'), 'utf8');
    expect(metadata).toContain('no penguins@champion in the local registry');
    const run = await runApp({ enableMonitoring: 'true' }, emptyRegistry);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^rookery CDK app: enableMonitoring=true needs the endpoint's capture and ground-truth locations: .*-c captureUri=s3:\/\/\.\.\. -c groundTruthUri=s3:\/\/\.\.\.$/);
  }, 120_000);

  it('writes no absolute path into any template or output: the same model synthesizes the same on every machine', () => {
    const forbidden = [REPO_ROOT, emptyRegistry, modelRegistry, tmpdir(), homedir()].filter((p) => p.length > 1);
    for (const [name, run] of Object.entries(runs)) {
      for (const file of readdirSync(run.outdir).filter((f) => f.endsWith('.template.json') || f.endsWith('.assets.json') || f === 'manifest.json')) {
        const text = readFileSync(join(run.outdir, file), 'utf8');
        for (const path of forbidden) expect(text.includes(path), `${name}: ${file} contains ${path}`).toBe(false);
      }
      for (const [stack, template] of Object.entries(templates(run.outdir))) {
        for (const [id, output] of Object.entries((template.Outputs ?? {}) as Record<string, { Value: unknown }>)) {
          for (const path of forbidden) expect(JSON.stringify(output.Value), `${name}: ${stack}.${id}`).not.toContain(path);
        }
      }
    }
  });
});
