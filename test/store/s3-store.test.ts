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
