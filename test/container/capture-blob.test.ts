// The blob capture writer against azurite (http, shared key, in this process):
// each batch one new block blob per hour under PREFIX/yyyy/mm/dd/hh named
// MM-SS-mmm-<uuid>.jsonl, holding exactly the bytes the file sink writes; a
// missing container and a refused write are failed writes whose message says
// what fixes them, and the batcher keeps the records until a write succeeds.
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BatchingSink } from '../../container/capture/batcher.ts';
import { BlobCaptureWriter, contentUuid, JSONL_CONTENT_TYPE } from '../../container/capture/blob.ts';
import { JsonlCaptureWriter } from '../../container/capture/jsonl.ts';
import { openCaptureSink, parseCaptureUri } from '../../container/capture/open.ts';
import { writeRecords, type CaptureRecord } from '../../container/capture/sink.ts';
import { loadSchema } from '../../model/schema.ts';
import { DEFAULT_SCHEMA_PATH } from '../../scripts/config.ts';
import { Azurite, AZURITE_ACCOUNT, AZURITE_INSTALL, AZURITE_KEY, azuriteAvailable } from '../../scripts/azure/azurite.ts';
import { until } from '../helpers/server.ts';
import { useTempDirs } from '../helpers/temp.ts';

const available = azuriteAvailable();
const tempDir = useTempDirs('rookery-blob-capture-');
const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
let azurite: Azurite;

beforeAll(async () => {
  if (available) azurite = await Azurite.start();
}, 60_000);
afterAll(async () => {
  await azurite?.stop();
});

let containers = 0;
/** A new container (created unless `create` is false) and its client. */
async function container(create = true): Promise<{ name: string; client: ContainerClient }> {
  const name = `capture-${++containers}-${Date.now()}`;
  const client = new ContainerClient(azurite.uri(name), credential);
  if (create) await client.create();
  return { name, client };
}

/** Every blob under the container, by name: its text and content type. */
async function blobs(client: ContainerClient): Promise<Map<string, { text: string; contentType?: string }>> {
  const out = new Map<string, { text: string; contentType?: string }>();
  for await (const item of client.listBlobsFlat()) {
    const body = await client.getBlobClient(item.name).downloadToBuffer();
    out.set(item.name, { text: body.toString('utf8'), contentType: item.properties.contentType });
  }
  return out;
}

const PENGUIN = '\u{1F427}';
function record(iso: string, extra: Partial<CaptureRecord> = {}): CaptureRecord {
  return {
    eventId: `00000000-0000-4000-8000-${String(Date.parse(iso) % 1e12).padStart(12, '0')}`,
    time: new Date(iso),
    rows: [{ island: 'Biscoe', body_mass_g: 4500 }],
    predictions: [{ prediction: 'Gentoo', confidence: 0.99, probabilities: {} } as never],
    requestBody: `{"dataframe_records":[{"island":"Biscoe ${PENGUIN}","body_mass_g":4500}]}`,
    requestContentType: 'application/json',
    responseBody: '{"predictions":[{"prediction":"Gentoo","confidence":0.99}]}',
    ...extra,
  };
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

describe.skipIf(!available)(`${available ? '' : `skipped, ${AZURITE_INSTALL}: `}the blob capture writer`, () => {
  it('writes a batch as one block blob per hour, PREFIX/yyyy/mm/dd/hh/MM-SS-mmm-<uuid>.jsonl, application/jsonl, the same bytes the file sink writes', async () => {
    const { name, client } = await container();
    const batch = [
      record('2025-03-01T10:07:09.042Z', { inferenceId: 'req-1' }),
      record('2025-03-01T11:00:00.000Z', { requestBody: 'island,sex\nDream,MALE\n', requestContentType: 'text/csv' }),
      record('2025-03-01T10:59:59.999Z'),
    ];
    await writeRecords(new BlobCaptureWriter(azurite.uri(name, 'penguins/live/'), { credential }), batch);
    const root = join(tempDir(), 'files');
    await writeRecords(new JsonlCaptureWriter(root), batch);

    const written = await blobs(client);
    const names = [...written.keys()].sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(new RegExp(`^penguins/live/2025/03/01/10/07-09-042-${UUID}\\.jsonl$`));
    expect(names[1]).toMatch(new RegExp(`^penguins/live/2025/03/01/11/00-00-000-${UUID}\\.jsonl$`));
    for (const blob of written.values()) expect(blob.contentType).toBe(JSONL_CONTENT_TYPE);
    // The file sink's files, hour by hour: byte for byte what the blobs hold.
    const files = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    const fileText = new Map(files(root).map((f) => [relative(root, f).split('/').slice(0, 4).join('/'), readFileSync(f, 'utf8')]));
    expect(fileText.size).toBe(2);
    for (const [blobName, blob] of written) expect(blob.text).toBe(fileText.get(blobName.split('/').slice(2, 6).join('/')));
    expect(written.get(names[0])!.text.split('\n').filter(Boolean).map((l) => JSON.parse(l).eventMetadata.inferenceId)).toEqual(['req-1', undefined]);
  });

  it('an empty prefix puts the hours at the container root; a later batch is a new blob, never an append; a retried batch rewrites its own blob', async () => {
    const { name, client } = await container();
    const writer = new BlobCaptureWriter(azurite.uri(name), { credential });
    const first = [record('2025-03-01T10:00:00.000Z', { eventId: '11111111-1111-4111-8111-111111111111' })];
    await writeRecords(writer, first);
    await writeRecords(writer, [record('2025-03-01T10:00:00.000Z', { eventId: '22222222-2222-4222-8222-222222222222' })]);
    const names = [...(await blobs(client)).keys()];
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toMatch(new RegExp(`^2025/03/01/10/00-00-000-${UUID}\\.jsonl$`));
    // The batcher retries a batch whose answer was lost with the same bytes: the blob's name is their hash, so no second copy.
    await writeRecords(writer, first);
    expect([...(await blobs(client)).keys()].sort()).toEqual(names.sort());
  });

  it('names each blob by the version-8 UUID of its bytes', () => {
    const a = contentUuid(Buffer.from('{"a":1}\n'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(contentUuid(Buffer.from('{"a":1}\n'))).toBe(a);
    expect(contentUuid(Buffer.from('{"a":2}\n'))).not.toBe(a);
  });

  it('a missing container is a failed write naming it and `cdktf deploy azure`; the batcher keeps the records and writes them once it exists', async () => {
    const { name, client } = await container(false);
    const writer = new BlobCaptureWriter(azurite.uri(name, 'capture'), { credential });
    await expect(writeRecords(writer, [record('2025-03-01T10:00:00.000Z')])).rejects.toThrow(
      new RegExp(`^container "${name}" does not exist in ${azurite.url.replace(/[.:/]/g, '\\$&')} \\(404 ContainerNotFound\\): \`cdktf deploy azure\` creates it`),
    );
    const sink = new BatchingSink(writer, { maxDelayMs: 1, retryDelayMs: 20, maxRetryDelayMs: 50, log: () => {} });
    for (let i = 0; i < 5; i++) sink.enqueue(record(`2025-03-01T10:00:0${i}.000Z`));
    const failing = await until(() => (sink.stats().failures > 0 ? sink.stats() : undefined), 'a failed write');
    expect(failing.lastError).toMatch(/cdktf deploy azure/);
    expect(failing.degraded).toMatch(new RegExp(`writes to ${azurite.uri(name, 'capture').replace(/[.:/]/g, '\\$&')} are failing`));
    await client.create();
    const done = await until(() => (sink.stats().written === 5 ? sink.stats() : undefined), 'the records written after the container appears');
    expect(done).toMatchObject({ accepted: 5, written: 5, dropped: 0, pending: 0 });
    expect(done.previousError).toMatch(/ContainerNotFound/);
    await sink.close(1_000);
    const lines = [...(await blobs(client)).values()].flatMap((b) => b.text.split('\n').filter(Boolean));
    expect(lines.map((l) => JSON.parse(l).eventMetadata.inferenceTime)).toEqual([0, 1, 2, 3, 4].map((i) => `2025-03-01T10:00:0${i}Z`));
  });

  it('openCaptureSink opens a blob URI as a sink whose writer loads on the first write (from source here), signed in with AZURE_STORAGE_KEY', async () => {
    const { name, client } = await container();
    vi.stubEnv('AZURE_STORAGE_KEY', AZURITE_KEY);
    try {
      const sink = openCaptureSink(azurite.uri(name, 'opened'), loadSchema(DEFAULT_SCHEMA_PATH), { maxDelayMs: 1, log: () => {} });
      expect(sink.stats().sink).toBe(azurite.uri(name, 'opened'));
      sink.enqueue(record('2025-03-01T10:00:00.000Z'));
      await sink.close(10_000);
      expect(sink.stats()).toMatchObject({ written: 1, dropped: 0 });
    } finally {
      vi.unstubAllEnvs();
    }
    expect([...(await blobs(client)).keys()]).toEqual([expect.stringMatching(new RegExp(`^opened/2025/03/01/10/00-00-000-${UUID}\\.jsonl$`))]);
  });

  it('a refused write (403) names the role Storage Blob Data Contributor on the container', async () => {
    const { name } = await container();
    const wrongKey = new StorageSharedKeyCredential(AZURITE_ACCOUNT, Buffer.from('not the key').toString('base64'));
    const writer = new BlobCaptureWriter(azurite.uri(name), { credential: wrongKey });
    await expect(writeRecords(writer, [record('2025-03-01T10:00:00.000Z')])).rejects.toThrow(
      new RegExp(`^not allowed to write to container "${name}" of .*\\(403 \\w+\\): give the deployment's identity the role Storage Blob Data Contributor on container "${name}"$`),
    );
  });
});

describe('blob capture locations', () => {
  it('parseCaptureUri takes a blob URI as kind blob, and refuses a SAS token or a bad container with the form to use', () => {
    expect(parseCaptureUri(' https://acct.blob.core.windows.net/capture/penguins ')).toEqual({ kind: 'blob', uri: 'https://acct.blob.core.windows.net/capture/penguins' });
    expect(parseCaptureUri('http://127.0.0.1:10000/devstoreaccount1/capture')).toEqual({ kind: 'blob', uri: 'http://127.0.0.1:10000/devstoreaccount1/capture' });
    expect(() => parseCaptureUri('https://acct.blob.core.windows.net/capture?sv=2024&sig=x')).toThrow(/SAS token/);
    expect(() => parseCaptureUri('https://acct.blob.core.windows.net/Bad_Name')).toThrow(/invalid container name "Bad_Name"/);
  });

  it('the writer describes itself by the blob URI, which is what /health shows', () => {
    expect(new BlobCaptureWriter('https://acct.blob.core.windows.net/capture/penguins/').description).toBe('https://acct.blob.core.windows.net/capture/penguins/');
  });
});
