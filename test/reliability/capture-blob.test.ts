// Capture to Azure Blob Storage from the real server process, signed in the
// way a deployment signs in: azurite over HTTPS with OAuth (its certificate
// trusted through NODE_EXTRA_CA_CERTS), the token from a managed-identity
// endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER, what DefaultAzureCredential's
// ManagedIdentityCredential asks), no key anywhere. Records are read back
// with @azure/storage-blob in a child process (this process cannot trust
// azurite's self-signed certificate). Also: the same requests give the same
// JSON Lines records on the file sink; azurite stopped mid-run is a fault
// like any other (hold: no answered record lost or stored twice after it is
// back; drop: losses counted);
// and a server capturing elsewhere never loads the blob writer's bundle.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_CHUNK } from '../../container/capture/blob-loader.ts';
import { hourPrefix } from '../../container/capture/jsonl.ts';
import { ROUTES } from '../../container/contract.ts';
import { Azurite, AZURITE_INSTALL, azuriteAvailable, azuriteToken } from '../../scripts/azure/azurite.ts';
import { ManagedIdentityEndpoint } from '../helpers/managed-identity.ts';
import { COLUMNS, ROWS, request, scratchDir, serve, sleep, stopAll, until, type Served } from '../helpers/server.ts';
import { captureHealth, jsonlTextMarkers, missing, settled, underLoad } from './load.ts';

const available = azuriteAvailable({ https: true });
let azurite: Azurite;
let identity: ManagedIdentityEndpoint;

beforeAll(async () => {
  if (!available) return;
  [azurite, identity] = await Promise.all([Azurite.start({ https: true }), ManagedIdentityEndpoint.start()]);
}, 60_000);
afterAll(async () => {
  await stopAll();
  await Promise.all([azurite?.stop(), identity?.stop()]);
});

interface StoredBlob {
  name: string;
  contentType?: string;
  text: string;
}

// Lists (and with CREATE, first creates) a container, as a separate node process trusting azurite's certificate.
const READER = `
const { ContainerClient } = require(process.env.STORAGE_BLOB);
const credential = { getToken: async () => ({ token: process.env.TOKEN, expiresOnTimestamp: Date.now() + 3600e3 }) };
(async () => {
  const client = new ContainerClient(process.env.CONTAINER_URL, credential);
  if (process.env.CREATE) await client.createIfNotExists();
  const out = [];
  for await (const b of client.listBlobsFlat()) {
    const text = (await client.getBlobClient(b.name).downloadToBuffer()).toString('utf8');
    out.push({ name: b.name, contentType: b.properties.contentType, text });
  }
  process.stdout.write(JSON.stringify(out));
})().catch((err) => { console.error(err.message); process.exit(1); });
`;

async function containerBlobs(container: string, options: { create?: boolean } = {}): Promise<StoredBlob[]> {
  const env = {
    ...process.env,
    ...azurite.env(),
    STORAGE_BLOB: createRequire(import.meta.url).resolve('@azure/storage-blob'),
    TOKEN: azuriteToken().token,
    CONTAINER_URL: azurite.uri(container),
    ...(options.create ? { CREATE: '1' } : {}),
  };
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', READER], { env, maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(stdout) as StoredBlob[];
}

let containers = 0;
async function newContainer(): Promise<string> {
  const name = `capture-${++containers}-${Date.now()}`;
  await containerBlobs(name, { create: true });
  return name;
}

/** The server with capture on, to this blob URI, signed in through the managed-identity endpoint only. */
function serveToBlob(uri: string, env: Record<string, string> = {}): Promise<Served> {
  return serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: uri, ...azurite.env(), ...identity.env(), ...env } });
}

const requests = (): { body: string; contentType: string; id: string }[] => [
  { body: JSON.stringify({ dataframe_records: ROWS.map((r) => r.row) }), contentType: 'application/json', id: 'records' },
  { body: JSON.stringify({ dataframe_split: { columns: COLUMNS, data: [COLUMNS.map((c) => ROWS[1].row[c])] } }), contentType: 'application/json', id: 'split' },
  { body: `${COLUMNS.join(',')}\n${COLUMNS.map((c) => ROWS[2].row[c] ?? '').join(',')}\n`, contentType: 'text/csv', id: 'csv' },
  { body: JSON.stringify({ inputs: [{ ...ROWS[0].row, body_mass_g: null, sex: 'caf\u00e9 \u{1F427}\n' }] }), contentType: 'application/json', id: 'unicode' },
];

/** Sends each request with its inference id (X-Amzn-SageMaker-Inference-Id), so the two sinks' records can be paired. */
async function sendAll(s: Served): Promise<void> {
  for (const r of requests()) {
    const reply = await request(s, { body: r.body, contentType: r.contentType, headers: { 'X-Amzn-SageMaker-Inference-Id': r.id } });
    expect(reply.status, reply.text).toBe(200);
  }
}

const parseLines = (texts: string[]) => texts.flatMap((t) => t.split('\n').filter(Boolean)).map((l) => JSON.parse(l));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.skipIf(!available)(`${available ? '' : `skipped, ${AZURITE_INSTALL}: `}the server capturing to blob storage`, () => {
  it('signs in with the managed identity, writes PREFIX/yyyy/mm/dd/hh/MM-SS-mmm-<uuid>.jsonl blobs, and /health names the blob URI; the file sink gets the same records field by field', async () => {
    const container = await newContainer();
    const uri = azurite.uri(container, 'penguins/blue');
    const blobServer = await serveToBlob(uri);
    const fileRoot = join(scratchDir('blob-vs-file'), 'capture');
    const fileServer = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `file://${fileRoot}` } });
    await Promise.all([sendAll(blobServer), sendAll(fileServer)]);
    const health = await until(async () => {
      const h = await captureHealth(blobServer);
      return h.capture.written === requests().length ? h : undefined;
    }, 'the blob sink to write every request');
    expect(health.status).toBe('ok');
    expect(health.capture).toMatchObject({ sink: uri, accepted: 4, written: 4, failures: 0, dropped: 0 });
    expect((await request(blobServer, { path: ROUTES.health })).text).not.toMatch(/key|sig=|token/i);
    expect((await blobServer.stop()).code).toBe(0);
    expect((await fileServer.stop()).code).toBe(0);

    // Signed in through the endpoint, for the storage audience, with the secret header: no key was configured.
    expect(identity.requests.length).toBeGreaterThan(0);
    expect(identity.requests.every((r) => r.authorized && r.resource === 'https://storage.azure.com')).toBe(true);

    const blobs = await containerBlobs(container);
    expect(blobs.length).toBeGreaterThan(0);
    for (const blob of blobs) {
      const m = /^penguins\/blue\/(\d{4}\/\d{2}\/\d{2}\/\d{2})\/(\d{2})-(\d{2})-(\d{3})-([0-9a-f-]{36})\.jsonl$/.exec(blob.name);
      expect(m, blob.name).not.toBeNull();
      expect(m![5]).toMatch(UUID);
      expect(blob.contentType).toBe('application/jsonl');
      // Each record in its invocation's hour; the name starts with the first record's minute and second.
      const records = parseLines([blob.text]);
      for (const r of records) expect(hourPrefix(new Date(r.eventMetadata.inferenceTime))).toBe(m![1]);
      expect(records[0].eventMetadata.inferenceTime.slice(14, 19)).toBe(`${m![2]}:${m![3]}`);
    }

    const fromBlob = parseLines(blobs.map((b) => b.text));
    const files = readdirSync(fileRoot, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const fromFile = parseLines(files.map((e) => readFileSync(join(e.parentPath, e.name), 'utf8')));
    expect(fromBlob.map((r) => r.eventMetadata.inferenceId)).toEqual(requests().map((r) => r.id));
    expect(fromFile.map((r) => r.eventMetadata.inferenceId)).toEqual(requests().map((r) => r.id));
    // Field by field, except the two each server makes per request: eventId (a random UUID) and inferenceTime (its clock).
    for (let i = 0; i < fromBlob.length; i++) {
      const [b, f] = [fromBlob[i], fromFile[i]];
      expect(Object.keys(b).sort()).toEqual(['captureData', 'eventMetadata', 'eventVersion']);
      expect(Object.keys(b.eventMetadata).sort()).toEqual(Object.keys(f.eventMetadata).sort());
      expect(b.captureData).toEqual(f.captureData);
      expect(b.eventVersion).toBe(f.eventVersion);
      expect(b.eventMetadata.inferenceId).toBe(f.eventMetadata.inferenceId);
      for (const r of [b, f]) {
        expect(r.eventMetadata.eventId).toMatch(UUID);
        expect(r.eventMetadata.inferenceTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      }
      expect(b.eventMetadata.eventId).not.toBe(f.eventMetadata.eventId);
    }
    expect(fromBlob[0].captureData.endpointInput).toEqual({ observedContentType: 'application/json', mode: 'INPUT', data: requests()[0].body, encoding: 'JSON' });
    expect(fromBlob[2].captureData.endpointInput.encoding).toBe('CSV');
  }, 90_000);

  /**
   * Loads the server while azurite is stopped for OUTAGE_MS (then started again on the same port and data),
   * sampling /health and checking /ping all along. Uploads in flight at the stop are reset; some of them azurite
   * had already stored, so their retries must not add second copies (blob.ts names a blob by its bytes).
   */
  async function outageUnderLoad(s: Served) {
    const outage = async () => {
      await azurite.kill();
      await until(async () => ((await captureHealth(s)).status === 'degraded' ? true : undefined), '/health to say degraded', 20_000);
      await sleep(OUTAGE_MS);
      await azurite.restart();
    };
    const done = await underLoad(s, outage, 4);
    return { ...done, after: await settled(s, 30_000) };
  }

  const OUTAGE_MS = 3_000;


  it('azurite stopped mid-run, ROOKERY_CAPTURE_ON_FAULT=hold: /health degraded while it is down, /ping answers throughout, no answered record lost once it is back', async () => {
    const container = await newContainer();
    const uri = azurite.uri(container, 'hold');
    const s = await serveToBlob(uri, { ROOKERY_CAPTURE_ON_FAULT: 'hold', ROOKERY_CAPTURE_QUEUE_BYTES: '32768', ROOKERY_CAPTURE_MAX_WAIT_MS: '60000' });
    const { answered, others, seen, after } = await outageUnderLoad(s);
    expect(others).toEqual({});
    expect(answered.length).toBeGreaterThan(0);
    expect(seen.some((h) => h.status === 'degraded' && h.capture.degraded.startsWith(`writes to ${uri} are failing: `))).toBe(true);
    expect(after).toMatchObject({ dropped: 0, accepted: answered.length, written: answered.length });
    expect(after.failures).toBeGreaterThan(0);
    expect(after.previousError).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up/);
    expect((await s.stop()).code).toBe(0);
    const stored = jsonlTextMarkers((await containerBlobs(container)).map((b) => b.text));
    expect(missing(answered, stored, 1)).toEqual([]);
    expect(stored.size).toBe(answered.length);
  }, 120_000);

  it('azurite stopped mid-run, ROOKERY_CAPTURE_ON_FAULT=drop: answers keep coming; every answered record is stored or counted as dropped', async () => {
    const container = await newContainer();
    const uri = azurite.uri(container, 'drop');
    const s = await serveToBlob(uri, { ROOKERY_CAPTURE_QUEUE_BYTES: '32768' });
    const { answered, others, seen, after } = await outageUnderLoad(s);
    expect(others).toEqual({});
    expect(seen.some((h) => h.status === 'degraded')).toBe(true);
    expect(seen.some((h) => h.capture.dropped > 0)).toBe(true);
    expect(after.dropped).toBeGreaterThan(0);
    expect((await s.stop()).code).toBe(0);
    const stored = jsonlTextMarkers((await containerBlobs(container)).map((b) => b.text));
    expect(missing(answered, stored, 1).length).toBe(after.dropped);
    expect(stored.size).toBe(answered.length - after.dropped);
  }, 120_000);
});

/** Environment making a child log every module URL it loads into `log` (an ESM load hook, through --import). */
function loadLog(): { env: Record<string, string>; loaded: () => string[] } {
  const dir = scratchDir('load-log');
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`);
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${join(dir, 'hooks.mjs')}`)});\n`);
  return { env: { NODE_OPTIONS: `--import=file://${join(dir, 'register.mjs')}` }, loaded: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

async function captureOne(s: Served): Promise<void> {
  expect((await request(s, { body: { dataframe_records: [ROWS[0].row] } })).status).toBe(200);
  await until(async () => ((await captureHealth(s)).capture.written === 1 ? true : undefined), 'the request to be captured');
}

describe('the blob writer bundle is loaded only for a blob capture location', () => {
  it(`a server capturing to SQLite never loads ${BLOB_CHUNK} (nor any @azure package)`, async () => {
    const hook = loadLog();
    const s = await serve({ env: { DATA_CAPTURE: 'true', DATA_COLLECTION_URI: `sqlite:///${join(scratchDir('lazy'), 'capture.db')}`, ...hook.env } });
    await captureOne(s);
    expect((await s.stop()).code).toBe(0);
    expect(hook.loaded().some((u) => u.endsWith('/rookery.mjs'))).toBe(true);
    expect(hook.loaded().filter((u) => u.includes(BLOB_CHUNK) || u.includes('@azure'))).toEqual([]);
  }, 60_000);

  it.skipIf(!available)(`${available ? '' : `skipped, ${AZURITE_INSTALL}: `}a server capturing to blob storage loads ${BLOB_CHUNK} on its first write, not at start`, async () => {
    const hook = loadLog();
    const s = await serveToBlob(azurite.uri(await newContainer()), hook.env);
    expect(hook.loaded().filter((u) => u.includes(BLOB_CHUNK))).toEqual([]);
    await captureOne(s);
    expect(hook.loaded().filter((u) => u.endsWith(`/${BLOB_CHUNK}`))).toHaveLength(1);
    expect((await s.stop()).code).toBe(0);
  }, 60_000);
});
