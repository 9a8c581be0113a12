// Bundles the image's entry (scripts/image.ts) into dist/image/rookery.mjs.
// better-sqlite3 stays external: it is a native addon installed in the image
// from container/image-package.json.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BUNDLE = fileURLToPath(new URL('../dist/image/rookery.mjs', import.meta.url));

export async function buildImageBundle(): Promise<string> {
  await build({
    entryPoints: [fileURLToPath(new URL('./image.ts', import.meta.url))],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['better-sqlite3'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    // Bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __rookeryRequire } from 'node:module'; const require = __rookeryRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = await buildImageBundle();
  console.log(`${file}: ${(statSync(file).size / 1024).toFixed(1)} KiB`);
}
