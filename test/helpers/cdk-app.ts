// stacks/app.ts in a child process, as `cdk synth` runs it (cdk.json's app), with no AWS credentials.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APP = fileURLToPath(new URL('../../stacks/app.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** What would point the app at an account, a profile or MLflow: a test names its own state. */
const AMBIENT = ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION', 'MLFLOW_TRACKING_URI', 'NODE_OPTIONS'];

export interface CdkAppOptions {
  /** What `-c key=value` would pass. */
  context: Record<string, string>;
  /** The cloud assembly's folder (CDK_OUTDIR). */
  outdir: string;
  /** The local registry the app reads (ROOKERY_REGISTRY): never the checkout's .rookery/. */
  registry: string;
  /** More environment, e.g. MLFLOW_TRACKING_URI. @default none */
  env?: Record<string, string>;
  /** The app's working directory. @default the repository root, as `cdk synth` runs it there */
  cwd?: string;
}

export function runCdkApp(options: CdkAppOptions): Promise<{ code: number | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CDK_OUTDIR: options.outdir,
    CDK_CONTEXT_JSON: JSON.stringify(options.context),
    ROOKERY_REGISTRY: options.registry,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const k of AMBIENT) delete env[k];
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, APP], { cwd: options.cwd ?? REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** The synthesized templates in `outdir`, by stack name. */
export function templates(outdir: string): Record<string, any> {
  return Object.fromEntries(
    readdirSync(outdir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => [f.replace(/\.template\.json$/, ''), JSON.parse(readFileSync(join(outdir, f), 'utf8'))]),
  );
}

/** The AwsSolutions plugin's findings in the assembly's validation report (written on every synth with a plugin). */
export function nagFindings(outdir: string): string[] {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
  return report.pluginReports.filter((r: any) => r.pluginName === 'AwsSolutions').flatMap((r: any) => r.violations.map((v: any) => v.ruleName));
}
