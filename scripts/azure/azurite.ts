/**
 * azurite, Microsoft's Azure Storage emulator (the `azurite` npm package's
 * blob service), started on a free loopback port and stopped after use, by
 * the tests (test/helpers/azurite.ts) and benchmarks.
 *
 * Two ways in, as a real account has:
 * - `http` (default): the account's shared key, the way `az storage` with
 *   AZURE_STORAGE_KEY authenticates;
 * - `https`: OAuth bearer tokens, the way a managed identity or `az login`
 *   authenticates. azurite accepts OAuth only over HTTPS, so a self-signed
 *   certificate is made for 127.0.0.1 (openssl) and handed to Node through
 *   NODE_EXTRA_CA_CERTS (`env()`); `tokenCredential()` gives tokens azurite's
 *   `--oauth basic` checks (audience, issuer, lifetime; not the signature).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { freePort } from '../free-port.ts';

/** azurite's well-known development account (published in its README; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const AZURITE_INSTALL = 'azurite is not installed: run `npm ci` (azurite is a devDependency); its https mode also needs openssl (`apt-get install openssl`)';

function azuriteBin(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('azurite/package.json');
    const bin = join(dirname(pkg), 'dist', 'src', 'blob', 'main.js');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** Whether azurite (and, for https, openssl) can run here. */
export function azuriteAvailable(options: { https?: boolean } = {}): boolean {
  if (!azuriteBin()) return false;
  return !options.https || spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

/** A bearer token azurite's basic OAuth accepts: an unsigned JWT for the storage audience, valid an hour. */
export function azuriteToken(): AccessToken {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = { aud: 'https://storage.azure.com', iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/', iat: now - 60, nbf: now - 60, exp: now + 3600, oid: 'rookery-test' };
  return { token: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.test`, expiresOnTimestamp: (now + 3600) * 1000 };
}

/** Starts azurite with these arguments and resolves once it listens. */
async function launch(args: string[], dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes('successfully listens on')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`azurite exited (${code}) before listening: ${seen.slice(-500)}`)));
    setTimeout(() => reject(new Error(`azurite did not start within 30 s: ${seen.slice(-500)}`)), 30_000).unref();
  });
  return child;
}

export class Azurite {
  private constructor(
    /** The blob service URL of the development account: `http(s)://127.0.0.1:PORT/devstoreaccount1`. */
    readonly url: string,
    private child: ChildProcess,
    private readonly dir: string,
    /** How it was started: `restart()` starts it the same way (port, data folder, certificate). */
    private readonly args: string[],
    /** The self-signed certificate's PEM file (https mode). */
    readonly caFile?: string,
  ) {}

  static async start(options: { https?: boolean } = {}): Promise<Azurite> {
    const bin = azuriteBin();
    if (!bin) throw new Error(AZURITE_INSTALL);
    const dir = mkdtempSync(join(tmpdir(), 'rookery-azurite-'));
    const port = await freePort();
    const args = [bin, '--silent', '--disableTelemetry', '--skipApiVersionCheck', '--location', join(dir, 'data'), '--blobHost', '127.0.0.1', '--blobPort', String(port)];
    let caFile: string | undefined;
    if (options.https) {
      caFile = join(dir, 'cert.pem');
      const keyFile = join(dir, 'key.pem');
      const made = spawnSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', caFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
        { stdio: 'pipe' },
      );
      if (made.status !== 0) throw new Error(`openssl could not make azurite's certificate: ${made.stderr.toString().slice(-300)}`);
      args.push('--oauth', 'basic', '--cert', caFile, '--key', keyFile);
    }
    const child = await launch(args, dir);
    const scheme = options.https ? 'https' : 'http';
    return new Azurite(`${scheme}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`, child, dir, args, caFile);
  }

  /** A blob URI under this account: `<url>/<container>/<prefix>`. */
  uri(container: string, prefix = ''): string {
    return `${this.url}/${container}${prefix ? `/${prefix.replace(/^\/+/, '')}` : ''}`;
  }

  /** A credential whose tokens this emulator accepts (https mode only: azurite takes OAuth only over HTTPS). */
  tokenCredential(): TokenCredential {
    return { getToken: async () => azuriteToken() };
  }

  /** Environment a child process needs to trust this emulator's certificate (https mode), or the account key to use (http mode). */
  env(): Record<string, string> {
    return this.caFile ? { NODE_EXTRA_CA_CERTS: this.caFile } : { AZURE_STORAGE_KEY: AZURITE_KEY };
  }

  /** Whether the emulator process is still running (a test may stop it mid-run to make storage fail). */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stops the emulator but keeps its data, so storage fails until `restart()` (a test's outage). */
  async kill(): Promise<void> {
    if (this.running) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill();
      await exited;
    }
  }

  /** Starts a killed emulator again on the same port, with the same data and certificate. */
  async restart(): Promise<void> {
    if (this.running) return;
    this.child = await launch(this.args, this.dir);
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
