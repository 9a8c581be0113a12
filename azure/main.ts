/**
 * The CDK for Terraform app (`cdktf.json` runs it): `cdktf deploy azure`.
 * The one place that reads anything: the configuration (once), the model
 * (through the shared resolver) and the image's files; the stack and its
 * constructs get plain values. A problem the user can fix ends the synth
 * with one line naming the bad value.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'cdktf';
import { UserError } from '../model/user-error.ts';
import { azureStackProps, loadAzureApp } from './compose.ts';
import { AzureStack, STACK_ID, STATE_FILE } from './stack.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const app = new App();

try {
  const { config, model } = await loadAzureApp({ env: process.env, context: (key) => app.node.tryGetContext(key), repoRoot });
  new AzureStack(app, STACK_ID, azureStackProps(config, model, { repoRoot, outdir: app.outdir }));
  app.synth();
  // One format per folder: a cdk.tf left beside cdk.tf.json (or the reverse) makes
  // Terraform read every resource twice ("Duplicate ..." errors).
  const hcl = process.env.SYNTH_HCL_OUTPUT === 'true' || process.env.SYNTH_HCL_OUTPUT === '1';
  rmSync(join(app.outdir, 'stacks', STACK_ID, hcl ? 'cdk.tf.json' : 'cdk.tf'), { force: true });
  // Terraform's local backend writes the state here; make sure the folder exists.
  mkdirSync(dirname(join(repoRoot, STATE_FILE)), { recursive: true });
} catch (err) {
  if (err instanceof UserError) {
    console.error(`azure: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
