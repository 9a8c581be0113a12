// The version `rookery --version` prints: package.json's. The image bundles
// have no package.json next to them, so scripts/build-image.ts writes the
// version into them at build time (esbuild `define`).
import { readFileSync } from 'node:fs';

declare const __ROOKERY_VERSION__: string | undefined;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export const VERSION: string = typeof __ROOKERY_VERSION__ === 'string' ? __ROOKERY_VERSION__ : packageVersion();
