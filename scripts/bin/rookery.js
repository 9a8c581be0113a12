#!/usr/bin/env -S node --max-semi-space-size=1
// The published entry: registers tsx so the TypeScript CLI runs without a build step.
//
// Node's options are the image's (the Dockerfile ENTRYPOINT's; a test holds the
// two equal), so `npx rookery` runs as the image does. A young generation of at
// most 1 MB semispaces: rookery's commands stream (score, monitor, serve), and
// what outlives a scavenge is the batch in hand, yet V8 by default lets the
// young generation grow to 32 MB as those survivors add up (bench:score:
// Parquet 155 -> 133 MB peak). `env -S` splits the line (coreutils 8.30+, macOS).
import { register } from 'tsx/esm/api';

register();
await import('../rookery.ts');
