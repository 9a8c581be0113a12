/**
 * moto_server, a real AWS emulator (python3 -m moto.server), started on a
 * free loopback port and stopped after use, by the tests (test/helpers/moto.ts)
 * and by `npm run bench:monitor -- --s3`. The SDK clients of
 * scripts/aws/clients.ts reach it through AWS_ENDPOINT_URL, which the SDK
 * reads itself, with dummy credentials, as they would a local S3.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOTO_INSTALL = 'moto_server is not installed: run `pip install "moto[server]"` (python3 -m moto.server must start)';
export const MOTO_REGION = 'us-east-1';

/** Whether python3 can import moto's server (checked before any test starts it). */
export function motoAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

export class Moto {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<Moto> {
    const dir = mkdtempSync(join(tmpdir(), 'rookery-moto-'));
    const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const onData = (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
        if (m) resolve(m[1]);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`moto_server exited (${code}) before listening: ${seen.slice(-500)}`)));
      setTimeout(() => reject(new Error(`moto_server did not start within 30 s: ${seen.slice(-500)}`)), 30_000).unref();
    });
    return new Moto(url, child, dir);
  }

  /** Forgets every resource (`POST /moto-api/reset`); settings made with configure() stay. */
  async reset(): Promise<void> {
    await this.post('/moto-api/reset', '');
  }

  /** Changes moto's own settings (`POST /moto-api/config`), e.g. `{ stepfunctions: { execute_state_machine: true } }`. */
  async configure(settings: Record<string, unknown>): Promise<void> {
    await this.post('/moto-api/config', JSON.stringify(settings));
  }

  private async post(path: string, body: string): Promise<void> {
    const res = await fetch(new URL(path, this.url), { method: 'POST', body });
    if (!res.ok) throw new Error(`moto_server ${path}: HTTP ${res.status} ${await res.text()}`);
  }

  /** Environment for the SDK's default chain to use this emulator. */
  env(): Record<string, string> {
    return { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: MOTO_REGION, AWS_ENDPOINT_URL: this.url };
  }

  /** Points this process's AWS settings at the emulator; returns the function that puts them back. */
  useInProcess(): () => void {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    Object.assign(process.env, this.env(), { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
    return () => {
      process.env = saved;
    };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill();
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

