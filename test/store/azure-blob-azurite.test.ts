/**
 * The Azure Blob store against azurite, a real Blob Storage emulator, over
 * http with the account's shared key (AZURE_STORAGE_KEY, as a user of keys
 * sets it): listing past one List Blobs page, prefix isolation, whole and
 * piecewise reads and writes, writers visible only on commit, and the
 * service's own answers for a missing blob, container and a wrong key.
 */
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { AzureBlobStore } from '../../scripts/store/azure-blob-store.ts';
import { openBlobStore } from '../../scripts/store/open.ts';
import { openObject } from '../../scripts/score/location.ts';
import { AZURITE_ACCOUNT, AZURITE_INSTALL, AZURITE_KEY, useAzurite } from '../helpers/azurite.ts';

const azurite = useAzurite();
const env = { AZURE_STORAGE_KEY: AZURITE_KEY };
let container: ContainerClient;

beforeAll(async () => {
  if (!azurite.available) return;
  const service = new BlobServiceClient(azurite.server.url, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
  container = service.getContainerClient('data');
  await container.create();
}, 60_000);

async function all(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}

async function bytes(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const piece of iterable) out.push(piece);
  return Buffer.concat(out);
}

async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => expect.fail('expected a failure'),
    (err: Error) => err,
  );
}

describe('the Azure Blob store against azurite', () => {
  if (!azurite.available) {
    it.skip(AZURITE_INSTALL, () => {});
    return;
  }
  const store = (prefix: string, options: { pageSize?: number } = {}) => new AzureBlobStore(azurite.server.uri('data', prefix), { env, ...options });

  it('lists ~2,500 blobs past small pages in lexicographic order, keys relative to its prefix, and nothing of a sibling prefix', async () => {
    const keys = Array.from({ length: 2500 }, (_, i) => `rookery-penguins/AllTraffic/2025/03/01/${String(i % 24).padStart(2, '0')}/${String(i).padStart(5, '0')}.jsonl`);
    const capture = store('capture', { pageSize: 400 });
    for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((k) => capture.write(k, '{}\n')));
    // "capture-old/" shares the characters but is another folder: the prefix is treated as one.
    await store('capture-old').write('stray.jsonl', 'x');
    expect(await all(capture.list())).toEqual([...keys].sort());
    expect(await all(capture.list('rookery-penguins/AllTraffic/2025/03/01/03/'))).toEqual(keys.filter((k) => k.includes('/01/03/')).sort());
    expect(await all(store('capture/', { pageSize: 7 }).list('rookery-penguins/AllTraffic/2025/03/01/23/0007'))).toEqual(['rookery-penguins/AllTraffic/2025/03/01/23/00071.jsonl']);
    expect(await all(store('nothing-here').list())).toEqual([]);
  }, 120_000);

  it('writes whole blobs with a content type by extension, reads them, their sizes, ranges and streams', async () => {
    const reports = store('reports');
    const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
    await reports.write('run/blob.bin', body);
    await reports.write('run/summary.json', '{"ok":true}');
    expect((await reports.read('run/blob.bin')).equals(body)).toBe(true);
    expect(await reports.size('run/blob.bin')).toBe(1000);
    expect(Buffer.from(await reports.readRange('run/blob.bin', 10, 20)).equals(body.subarray(10, 20))).toBe(true);
    expect(Buffer.from(await reports.readRange('run/blob.bin', 990, 2000)).equals(body.subarray(990))).toBe(true);
    expect((await bytes(reports.readStream('run/blob.bin'))).equals(body)).toBe(true);
    const props = await container.getBlobClient('reports/run/summary.json').getProperties();
    expect(props.contentType).toBe('application/json');
    expect((await container.getBlobClient('reports/run/blob.bin').getProperties()).contentType).toBe('application/octet-stream');
  });

  it('shows a writer’s blob only on commit, in blocks past 8 MiB, and leaves nothing on abort', async () => {
    const out = store('scores');
    const writer = out.createWriter('big.csv');
    const piece = Buffer.alloc(3 << 20, 'a');
    for (let i = 0; i < 4; i++) await writer.write(piece);
    expect(await all(out.list())).toEqual([]);
    await writer.commit();
    expect(await out.size('big.csv')).toBe(12 << 20);
    const blocks = await container.getBlockBlobClient('scores/big.csv').getBlockList('committed');
    expect(blocks.committedBlocks?.length).toBe(2);
    expect((await container.getBlobClient('scores/big.csv').getProperties()).contentType).toBe('text/csv');

    const small = out.createWriter('small.csv');
    await small.write(Buffer.from('a,b\n'));
    await small.commit();
    expect((await out.read('small.csv')).toString()).toBe('a,b\n');

    const dropped = out.createWriter('dropped.csv');
    await dropped.write(Buffer.alloc(9 << 20, 'b'));
    await dropped.abort();
    expect(await all(out.list())).toEqual(['big.csv', 'small.csv']);
  }, 60_000);

  it('answers a missing blob with ENOENT, a missing container and a wrong key with one line each', async () => {
    const s = store('capture');
    for (const read of [() => s.read('missing.jsonl'), () => s.size('missing.jsonl'), () => s.readRange('missing.jsonl', 0, 5), () => s.readStream('missing.jsonl')[Symbol.asyncIterator]().next()]) {
      expect((await failure(read())).code).toBe('ENOENT');
    }
    const absent = new AzureBlobStore(azurite.server.uri('no-such-container', 'x'), { env });
    const missing = await failure(absent.write('a.jsonl', '{}'));
    expect(missing).toBeInstanceOf(UserError);
    expect(missing.message).toMatch(/container no-such-container does not exist in account devstoreaccount1/);
    expect((await failure(all(absent.list()))).message).toMatch(/no-such-container does not exist/);

    const wrongKey = new AzureBlobStore(azurite.server.uri('data', 'capture'), { env: { AZURE_STORAGE_KEY: Buffer.from('not the key').toString('base64') } });
    const refused = await failure(all(wrongKey.list()));
    expect(refused).toBeInstanceOf(UserError);
    expect(refused.message).toMatch(/refused the shared key.*check AZURE_STORAGE_KEY/);
    expect(refused.message.split('\n')).toHaveLength(1);
  });

  it('is what openBlobStore opens for a blob URI', async () => {
    const previous = process.env.AZURE_STORAGE_KEY;
    process.env.AZURE_STORAGE_KEY = AZURITE_KEY;
    try {
      const opened = await openBlobStore(azurite.server.uri('data', 'reports'));
      expect(opened).toBeInstanceOf(AzureBlobStore);
      expect((await opened.read('run/summary.json')).toString()).toBe('{"ok":true}');
      // `rookery score --input/--output` name one blob: the store is its folder.
      const input = await openObject(azurite.server.uri('data', 'reports/run/summary.json'));
      expect(input).toMatchObject({ key: 'summary.json', store: { prefix: 'reports/run/' } });
      expect((await input.store.read(input.key)).toString()).toBe('{"ok":true}');
      await expect(openObject(azurite.server.uri('data', 'reports/run/'))).rejects.toThrow(/names no file/);
    } finally {
      if (previous === undefined) delete process.env.AZURE_STORAGE_KEY;
      else process.env.AZURE_STORAGE_KEY = previous;
    }
  });
});
