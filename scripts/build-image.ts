// Bundles the image's entry (scripts/image.ts) into dist/image/rookery.mjs, and
// the pipeline's deploy and monitoring jobs (scripts/image-jobs.ts, with the
// AWS SDK) into dist/image/rookery-jobs.mjs, which the entry loads only for
// those commands, and the blob capture writer (container/capture/blob.ts, with
// @azure/storage-blob and @azure/identity) into dist/image/rookery-blob.mjs,
// which the server loads only when DATA_COLLECTION_URI is a blob URI
// (container/capture/blob-loader.ts). better-sqlite3 stays external: it is a native addon
// installed in the image from container/image-package.json. The SQLite capture
// worker (container/capture/sqlite-worker.ts) is compiled first and written
// into the bundles as a string, so each stays one file (see startWorker in
// container/capture/sqlite.ts).
import { build } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BLOB_CHUNK } from '../container/capture/blob-loader.ts';

export const BUNDLE = fileURLToPath(new URL('../dist/image/rookery.mjs', import.meta.url));
export const JOBS_BUNDLE = fileURLToPath(new URL('../dist/image/rookery-jobs.mjs', import.meta.url));
export const BLOB_BUNDLE = fileURLToPath(new URL(`../dist/image/${BLOB_CHUNK}`, import.meta.url));
/** package.json's version, written into the bundles for `--version` (scripts/version.ts). */
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Builds the three bundles; returns the entry's path (the jobs and blob bundles sit next to it). */
export async function buildImageBundle(): Promise<string> {
  const worker = await sqliteWorkerSource();
  await Promise.all([bundle('./image.ts', BUNDLE, worker), bundle('./image-jobs.ts', JOBS_BUNDLE, worker), bundle('../container/capture/blob.ts', BLOB_BUNDLE, worker)]);
  return BUNDLE;
}

/** The capture worker as CommonJS source, for `new Worker(source, { eval: true })`. */
async function sqliteWorkerSource(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../container/capture/sqlite-worker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0].text;
}

async function bundle(entry: string, outfile: string, sqliteWorker: string): Promise<void> {
  await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['better-sqlite3'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    define: { __ROOKERY_VERSION__: JSON.stringify(VERSION), __SQLITE_WORKER_SOURCE__: JSON.stringify(sqliteWorker) },
    // Bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __rookeryRequire } from 'node:module'; const require = __rookeryRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildImageBundle();
  for (const file of [BUNDLE, JOBS_BUNDLE, BLOB_BUNDLE]) console.log(`${file}: ${(statSync(file).size / 1024).toFixed(1)} KiB`);
}
