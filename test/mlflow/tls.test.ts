// The MLflow client over TLS with a pinned, self-signed certificate, made by
// the same openssl command as MlflowStack's boot script: against a node:https
// server, and through nginx run on the boot script's own nginx.conf in front of
// the MLflow double (loopback only).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { MlflowClient } from '../../registry/mlflow/client.ts';
import { MLFLOW_CA_CERT_ENV, readRegistrySettings } from '../../registry/settings.ts';
import { nginxConfig, selfSignedCertificateCommand } from '../../stacks/constructs/mlflow-server.ts';
import { rejection } from '../helpers/rejection.ts';
import { ADMIN, instantClock } from './helpers.ts';
import { MlflowDouble } from './mlflow-double.ts';

const has = (tool: string, arg: string) => spawnSync(tool, [arg], { stdio: 'ignore' }).status === 0;
const opensslAvailable = has('openssl', 'version');
const nginxAvailable = has('nginx', '-v') || has('/usr/sbin/nginx', '-v');
const NGINX = has('nginx', '-v') ? 'nginx' : '/usr/sbin/nginx';
if (!opensslAvailable) console.warn('skipping the TLS client tests: install openssl (apt-get install openssl)');
if (!nginxAvailable) console.warn('skipping the nginx-in-front test: install nginx (apt-get install nginx-light)');

let dir: string;
/** Makes a key and certificate with the boot script's command; returns the PEM paths. */
function certificate(name: string, subjectAltName: string): { key: string; cert: string } {
  const key = join(dir, `${name}.key.pem`);
  const cert = join(dir, `${name}.cert.pem`);
  execFileSync('sh', ['-c', selfSignedCertificateCommand({ keyFile: key, certFile: cert, commonName: name, subjectAltName })], { stdio: 'ignore' });
  return { key, cert };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rookery-tls-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const client = (trackingUri: string, caCertificate?: string) =>
  new MlflowClient({ trackingUri, ...ADMIN, ...(caCertificate ? { caCertificate } : {}), clock: instantClock(), timeoutMs: 5000 });

describe.skipIf(!opensslAvailable)('MlflowClient with a pinned CA, against a real https server', () => {
  let server: Server;
  let uri: string;
  let pem: string;
  const seen: { authorization?: string; body: string }[] = [];

  beforeAll(async () => {
    const { key, cert } = certificate('server', 'IP:127.0.0.1,DNS:localhost');
    pem = readFileSync(cert, 'utf8');
    server = createHttpsServer({ key: readFileSync(key), cert: pem }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        seen.push({ authorization: req.headers.authorization, body });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ experiment_id: '7' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    uri = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('trusts the given certificate: the request, its body and basic auth arrive encrypted', async () => {
    expect(await client(uri, pem).createExperiment('penguins')).toBe('7');
    expect(seen.at(-1)).toEqual({ authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`, body: JSON.stringify({ name: 'penguins' }) });
  });

  it('without it, refuses the self-signed certificate at once (no retries) and says what to set', async () => {
    const before = seen.length;
    const c = new MlflowClient({ trackingUri: uri, ...ADMIN, clock: instantClock(), timeoutMs: 5000 });
    const err = await rejection(c.createExperiment('penguins'));
    expect(err.message).toMatch(/SELF_SIGNED|CERT/);
    expect(err.message).toContain('MLFLOW_TRACKING_SERVER_CERT_PATH');
    expect(seen.length).toBe(before);
  });

  it('refuses a server whose certificate is not the pinned one, or does not name the host it is reached by', async () => {
    const other = readFileSync(certificate('other', 'IP:127.0.0.1').cert, 'utf8');
    expect((await rejection(client(uri, other).createExperiment('x'))).message).toMatch(/not the one in ROOKERY_MLFLOW_CA_CERT/);
    // A server whose (pinned) certificate names only another address: the host check still applies.
    const elsewhere = certificate('elsewhere', 'IP:10.9.9.9');
    const misnamed = createHttpsServer({ key: readFileSync(elsewhere.key), cert: readFileSync(elsewhere.cert) }, (_, res) => res.end('{}'));
    await new Promise<void>((r) => misnamed.listen(0, '127.0.0.1', r));
    const misnamedUri = `https://127.0.0.1:${(misnamed.address() as AddressInfo).port}`;
    expect((await rejection(client(misnamedUri, readFileSync(elsewhere.cert, 'utf8')).createExperiment('x'))).message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    await new Promise<void>((r) => misnamed.close(() => r()));
  });
});

describe.skipIf(!opensslAvailable || !nginxAvailable)('nginx on the boot script’s nginx.conf, in front of MLflow', () => {
  let double: MlflowDouble;
  let nginx: ChildProcess;
  let uri: string;
  let pem: string;

  beforeAll(async () => {
    double = await MlflowDouble.start({ users: [{ ...ADMIN, admin: true }] });
    const { key, cert } = certificate('nginx', 'IP:127.0.0.1');
    pem = readFileSync(cert, 'utf8');
    const probe = createHttpsServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const logs = join(dir, 'nginx-logs');
    mkdirSync(logs);
    const conf = join(dir, 'nginx.conf');
    const lines = nginxConfig({ certFile: cert, keyFile: key, listen: `127.0.0.1:${port}`, upstream: new URL(double.uri).host, pidFile: join(dir, 'nginx.pid'), logDir: logs });
    // Temp paths nginx would otherwise put under /var/lib/nginx.
    writeFileSync(conf, lines.join('\n').replace('http {', `http {\n  client_body_temp_path ${logs}/body;\n  proxy_temp_path ${logs}/proxy;`));
    nginx = spawn(NGINX, ['-c', conf, '-p', dir, '-e', join(logs, 'startup.log'), '-g', 'daemon off;'], { stdio: 'ignore' });
    uri = `https://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await client(uri, pem).request('GET', '/health').then(() => true, () => false)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nginx did not start: ${readFileSync(join(logs, 'startup.log'), 'utf8')}`);
  });
  afterAll(async () => {
    nginx?.kill('SIGTERM');
    await double?.close();
  });

  it('serves MLflow over TLS with the certificate: runs, basic auth and a 5 MiB artifact pass through', async () => {
    const c = client(uri, pem);
    const experimentId = await c.getOrCreateExperiment('penguins');
    const run = await c.createRun({ experimentId, runName: 'tls' });
    expect(run.info.experiment_id).toBe(experimentId);
    const artifact = Buffer.alloc(5 * 1024 * 1024, 7);
    await c.uploadArtifact(`${experimentId}/${run.info.run_id}/artifacts/model/big.bin`, artifact);
    expect((await c.downloadArtifact(`${experimentId}/${run.info.run_id}/artifacts/model/big.bin`)).equals(artifact)).toBe(true);
    expect(double.requests.some((r) => r.headers.authorization?.startsWith('Basic '))).toBe(true);
    const wrong = new MlflowClient({ trackingUri: uri, username: 'admin', password: 'wrong', caCertificate: pem, clock: instantClock(), timeoutMs: 5000 });
    expect((await rejection(wrong.getOrCreateExperiment('penguins'))).message).toMatch(/401|credentials|password/i);
  });
});

describe('the trusted certificate from the environment (registry/settings.ts)', () => {
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  it(`reads ${MLFLOW_CA_CERT_ENV} (the pipeline jobs' PEM), else the file MLFLOW_TRACKING_SERVER_CERT_PATH names`, () => {
    expect(readRegistrySettings({ MLFLOW_TRACKING_URI: 'https://10.0.0.5', [MLFLOW_CA_CERT_ENV]: PEM }).mlflow?.caCertificate).toBe(PEM.trim());
    const file = join(mkdtempSync(join(tmpdir(), 'rookery-ca-')), 'ca.pem');
    writeFileSync(file, PEM);
    expect(readRegistrySettings({ MLFLOW_TRACKING_URI: 'https://10.0.0.5', MLFLOW_TRACKING_SERVER_CERT_PATH: file }).mlflow?.caCertificate).toBe(PEM);
    expect(readRegistrySettings({ MLFLOW_TRACKING_URI: 'https://10.0.0.5' }).mlflow?.caCertificate).toBeUndefined();
    rmSync(file);
  });

  it('refuses an unreadable file or text that is not a PEM certificate, in one line', () => {
    const missing = () => readRegistrySettings({ MLFLOW_TRACKING_URI: 'https://x', MLFLOW_TRACKING_SERVER_CERT_PATH: '/nonexistent/ca.pem' });
    expect(missing).toThrow(UserError);
    expect(missing).toThrow(/MLFLOW_TRACKING_SERVER_CERT_PATH=\/nonexistent\/ca\.pem cannot be read \(ENOENT\)/);
    expect(() => readRegistrySettings({ MLFLOW_TRACKING_URI: 'https://x', [MLFLOW_CA_CERT_ENV]: 'written by the MLflow server when it boots' })).toThrow(/holds no PEM certificate/);
  });
});
