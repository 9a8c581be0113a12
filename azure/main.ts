/**
 * The CDK for Terraform app (`cdktf.json` runs it): `cdktf deploy azure`.
 * Configuration problems end the synth with one line naming the bad value.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'cdktf';
import { ConfigError, readAzureConfig } from './config.ts';
import { ImageContextError } from './image.ts';
import { AzureStack, STACK_ID, STATE_FILE } from './stack.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const app = new App();

try {
  const config = readAzureConfig({ context: (key) => app.node.tryGetContext(key), repoRoot });
  new AzureStack(app, STACK_ID, config);
  app.synth();
  // One format per folder: a cdk.tf left beside cdk.tf.json (or the reverse) makes
  // Terraform read every resource twice ("Duplicate ..." errors).
  const hcl = process.env.SYNTH_HCL_OUTPUT === 'true' || process.env.SYNTH_HCL_OUTPUT === '1';
  rmSync(join(app.outdir, 'stacks', STACK_ID, hcl ? 'cdk.tf.json' : 'cdk.tf'), { force: true });
  // Terraform's local backend writes the state here; make sure the folder exists.
  mkdirSync(dirname(join(repoRoot, STATE_FILE)), { recursive: true });
} catch (err) {
  if (err instanceof ConfigError || err instanceof ImageContextError) {
    console.error(`azure: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
