import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { openBlobStore } from '../../scripts/store/open.ts';
import { asFolder, parseS3Uri } from '../../cloud/s3-location.ts';
import { S3BlobStore } from '../../scripts/store/s3-store.ts';

// What the S3 store does against S3 itself is tested against moto_server (s3-moto.test.ts).
describe('parseS3Uri', () => {
  it.each([
    ['s3://rookery-data', { bucket: 'rookery-data', prefix: '' }],
    ['s3://rookery-data/', { bucket: 'rookery-data', prefix: '' }],
    ['s3://rookery-data/capture', { bucket: 'rookery-data', prefix: 'capture/' }],
    ['s3://rookery-data/capture/rookery-penguins/', { bucket: 'rookery-data', prefix: 'capture/rookery-penguins/' }],
  ])('%s', (uri, expected) => {
    const { bucket, key } = parseS3Uri(uri);
    expect({ bucket, prefix: asFolder(key) }).toEqual(expected);
  });

  it('rejects what is not an s3:// location', () => {
    for (const bad of ['rookery-data/capture', 's3://', 's3://UPPER/x', 'file:///tmp']) {
      expect(() => parseS3Uri(bad), bad).toThrow(UserError);
    }
  });
});

describe('openBlobStore', () => {
  it('is what openBlobStore returns for s3:// locations', async () => {
    const store = await openBlobStore('s3://rookery-data/capture');
    expect(store).toBeInstanceOf(S3BlobStore);
    expect(store.uri).toBe('s3://rookery-data/capture');
  });
});

/** A client answering ListObjectsV2 from `pages` (keys under the store's prefix), recording each request's token; a page given as an Error fails. */
function listingClient(pages: (string[] | Error)[]) {
  const tokens: (string | undefined)[] = [];
  const send = async (command: { input: { ContinuationToken?: string } }) => {
    const token = command.input.ContinuationToken;
    tokens.push(token);
    const at = token === undefined ? 0 : Number(token);
    const page = pages[at];
    if (page instanceof Error) throw page;
    const more = at + 1 < pages.length;
    return { Contents: page.map((k) => ({ Key: `capture/${k}` })), IsTruncated: more, ...(more ? { NextContinuationToken: String(at + 1) } : {}) };
  };
  return { client: { send } as unknown as S3Client, tokens };
}

describe('S3BlobStore.list', () => {
  it('asks for the next page before handing out the current one, keeping key order', async () => {
    const { client, tokens } = listingClient([['a', 'b'], ['c'], ['d', 'e']]);
    const seen: string[] = [];
    for await (const key of new S3BlobStore('s3://rookery-data/capture', { client }).list()) {
      seen.push(key);
      // While the first page's keys are read, the second is already requested (and no further).
      if (key === 'a') expect(tokens).toEqual([undefined, '1']);
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(tokens).toEqual([undefined, '1', '2']);
  });

  it("raises a later page's error after the keys before it, and a caller that stops first never sees it", async () => {
    const failing = () => listingClient([['a', 'b'], new Error('listing failed: throttled')]).client;
    const seen: string[] = [];
    const listing = (async () => {
      for await (const key of new S3BlobStore('s3://rookery-data/capture', { client: failing() }).list()) seen.push(key);
    })();
    await expect(listing).rejects.toThrow(/throttled/);
    expect(seen).toEqual(['a', 'b']);

    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      for await (const key of new S3BlobStore('s3://rookery-data/capture', { client: failing() }).list()) if (key === 'a') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
