// The node options the package's bin runs with, read from its shebang line
// (`#!/usr/bin/env -S node <options>`), for the programs that start the bin
// as the kernel would: bench:score, and the test that holds them equal to the
// image's ENTRYPOINT options.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('./rookery.js', import.meta.url));

export function binNodeOptions(text = readFileSync(BIN, 'utf8')): string[] {
  const shebang = /^#!\/usr\/bin\/env -S node((?: \S+)*)\n/.exec(text);
  if (!shebang) throw new Error(`${BIN}: the first line must be #!/usr/bin/env -S node [options]`);
  return shebang[1].split(' ').filter(Boolean);
}
