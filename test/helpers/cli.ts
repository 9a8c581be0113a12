// Runs the real `rookery` program in a child process, the way a user does.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOKERY_ENTRY = fileURLToPath(new URL('../../scripts/rookery.ts', import.meta.url));
/** tsx's loader by absolute URL, so the child may run from any folder. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Settings the CLI reads from the environment: dropped from the inherited one so only a test's own apply. */
const CLI_ENV = ['MLFLOW_TRACKING_URI', 'MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_TOKEN', 'ROOKERY_REGISTRY', 'ROOKERY_CACHE', 'ROOKERY_DATA', 'ROOKERY_SCHEMA'];

/**
 * `node --import tsx scripts/rookery.ts ...args`. Unless the test says
 * otherwise, the child runs in a new empty folder with a new empty registry
 * and cache, so no test sees the checkout's `.rookery/`, `reports/` or
 * `penguins.db` (the default data and schema are found next to the program).
 * Resolves when the process exits (it is killed after `timeoutMs`).
 */
export function runCli(args: string[], env: Record<string, string> = {}, options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CLI_ENV) delete childEnv[name];
  // Colours and debugger hooks from the parent would change the output.
  delete childEnv.NODE_OPTIONS;
  childEnv.NO_COLOR = '1';
  // A test that chose the folder chose its state too; otherwise the child gets an empty one, removed afterwards.
  const scratch = options.cwd ?? mkdtempSync(join(tmpdir(), 'rookery-cli-'));
  Object.assign(childEnv, env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, ROOKERY_ENTRY, ...args], {
      cwd: scratch,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!options.cwd) rmSync(scratch, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr });
    });
  });
}
