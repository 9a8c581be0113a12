/**
 * `rookery label` and `rookery monitor` over Azure blob locations, run as a
 * user runs them (child processes) against azurite: SageMaker-format capture
 * files under yyyy/mm/dd/hh in a container, ground truth written next to them
 * by `label` (once: a second run adds nothing), then `monitor` joining the
 * two. Over http with the account key (AZURE_STORAGE_KEY), and over https
 * with OAuth tokens from a managed-identity endpoint, the way a deployment or
 * `az login` signs in.
 */
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { twoHoursOfCaptures } from '../monitor/fixtures.ts';
import { AZURITE_ACCOUNT, AZURITE_INSTALL, AZURITE_KEY, useAzurite, type Azurite } from '../helpers/azurite.ts';
import { useManagedIdentity } from '../helpers/managed-identity.ts';
import { useTempDirs } from '../helpers/temp.ts';

const keyed = useAzurite();
const oauth = useAzurite({ https: true });
const identity = useManagedIdentity();
const tempDir = useTempDirs('rookery-label-blob-');
/** The checkout, where the child scripts resolve @azure/storage-blob. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function seed(server: Azurite): Promise<ContainerClient> {
  const container = new BlobServiceClient(server.url, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)).getContainerClient('data');
  await container.create();
  for (const [name, body] of Object.entries(twoHoursOfCaptures())) await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
  return container;
}

/**
 * Runs `script` (an ES module body with `blobs` and `container`, a ContainerClient
 * on https azurite signed in with the account key) in a child process, which
 * alone can trust the emulator's certificate; resolves with its stdout.
 */
function overHttps(server: Azurite, script: string, blobs: Record<string, string> = {}): Promise<string> {
  const code = `const b = await import('@azure/storage-blob');
const container = new b.BlobServiceClient(${JSON.stringify(server.url)}, new b.StorageSharedKeyCredential(${JSON.stringify(AZURITE_ACCOUNT)}, ${JSON.stringify(AZURITE_KEY)})).getContainerClient('data');
const blobs = ${JSON.stringify(blobs)};
${script}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, env: { ...process.env, ...server.env() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (status) => (status === 0 ? resolve(stdout) : reject(new Error(`the https azurite script failed (${status}): ${stderr.slice(-500)}`))));
  });
}

async function groundTruth(container: ContainerClient): Promise<{ key: string; lines: any[] }[]> {
  const out: { key: string; lines: any[] }[] = [];
  for await (const item of container.listBlobsFlat({ prefix: 'ground-truth/' })) {
    const text = (await container.getBlobClient(item.name).downloadToBuffer()).toString('utf8');
    out.push({ key: item.name, lines: text.trim().split('\n').map((l) => JSON.parse(l)) });
  }
  return out;
}

const errors = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('rookery:'));

describe('rookery label and monitor over blob locations against azurite (shared key)', () => {
  if (!keyed.available) {
    it.skip(AZURITE_INSTALL, () => {});
    return;
  }

  it('labels every captured record once, then monitors captures and labels together', async () => {
    const container = await seed(keyed.server);
    const captures = keyed.server.uri('data', 'capture');
    const labels = keyed.server.uri('data', 'ground-truth');
    const label = ['label', '--datastore', captures, '--ground-truth', labels];
    const first = await runCli(label, keyed.server.env(), { timeoutMs: 60_000 });
    expect(errors(first.stderr)).toEqual([]);
    expect(first.code).toBe(0);
    const files = await groundTruth(container);
    expect(files).toHaveLength(1);
    expect(files[0].key).toMatch(/^ground-truth\/\d{4}\/\d\d\/\d\d\/\d\d\/[^/]+\.jsonl$/);
    expect(files[0].lines.map((l) => l.eventMetadata.eventId).sort()).toEqual(Array.from({ length: 60 }, (_, i) => `req-${i * 5}`).sort());
    expect(files[0].lines[0]).toMatchObject({ groundTruthData: { encoding: 'CSV' }, eventVersion: '0' });

    const again = await runCli(label, keyed.server.env(), { timeoutMs: 60_000 });
    expect(again.code).toBe(0);
    expect(await groundTruth(container)).toHaveLength(1);

    const out = tempDir();
    const monitor = await runCli(['monitor', '--datastore', captures, '--ground-truth', labels, '--out', out, '--no-fail'], keyed.server.env(), { timeoutMs: 90_000 });
    expect(errors(monitor.stderr)).toEqual([]);
    expect(monitor.code).toBe(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toMatch(/"labeledRows": ?300\b/);
  }, 240_000);

  it('names the missing container in one line', async () => {
    const result = await runCli(['label', '--datastore', keyed.server.uri('no-such-data', 'capture'), '--ground-truth', keyed.server.uri('no-such-data', 'gt')], keyed.server.env(), { timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect(errors(result.stderr)).toEqual([expect.stringMatching(/container no-such-data does not exist in account devstoreaccount1/)]);
  }, 90_000);
});

describe('rookery label over blob locations against azurite (OAuth tokens from a managed identity)', () => {
  if (!oauth.available) {
    it.skip(AZURITE_INSTALL, () => {});
    return;
  }

  it('signs in through DefaultAzureCredential’s managed identity and labels the captures', async () => {
    await overHttps(oauth.server, 'await container.create(); for (const [name, body] of Object.entries(blobs)) await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));', twoHoursOfCaptures());
    const env = { ...oauth.server.env(), ...identity.endpoint.env(), AZURE_STORAGE_KEY: '' };
    const result = await runCli(['label', '--datastore', oauth.server.uri('data', 'capture'), '--ground-truth', oauth.server.uri('data', 'ground-truth')], env, { timeoutMs: 90_000 });
    expect(errors(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    expect(identity.endpoint.requests.length).toBeGreaterThan(0);
    expect(identity.endpoint.requests.every((r) => r.authorized && r.resource === 'https://storage.azure.com')).toBe(true);
    const listed = JSON.parse(await overHttps(oauth.server, "const out = []; for await (const i of container.listBlobsFlat({ prefix: 'ground-truth/' })) out.push([i.name, (await container.getBlobClient(i.name).downloadToBuffer()).toString()]); console.log(JSON.stringify(out));"));
    expect(listed).toHaveLength(1);
    expect(listed[0][1].trim().split('\n')).toHaveLength(60);
  }, 180_000);

  it('says how to sign in when no credential is found', async () => {
    const env = { ...oauth.server.env(), AZURE_STORAGE_KEY: '', IDENTITY_ENDPOINT: '', IDENTITY_HEADER: '', AZURE_CLIENT_ID: '', AZURE_TENANT_ID: '', PATH: '/nonexistent' };
    const result = await runCli(['label', '--datastore', oauth.server.uri('data', 'capture'), '--ground-truth', oauth.server.uri('data', 'ground-truth')], env, { timeoutMs: 90_000 });
    expect(result.code).toBe(1);
    expect(errors(result.stderr)).toEqual([expect.stringMatching(/no Azure credentials found; sign in with `az login` or set AZURE_STORAGE_KEY$/)]);
  }, 120_000);
});
