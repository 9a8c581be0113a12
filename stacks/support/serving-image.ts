import { IgnoreMode } from 'aws-cdk-lib';
import { Platform, type DockerImageAssetProps } from 'aws-cdk-lib/aws-ecr-assets';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DOCKERFILE = 'container/Dockerfile';

/**
 * What `container/Dockerfile` copies from the build context. The asset takes
 * only these, so its hash (and so whether CDK rebuilds and pushes the image)
 * changes with the serving code and data, not with stacks, tests, docs,
 * node_modules, cdk.out, .git or .rookery. A new COPY source in the Dockerfile
 * must be added here too; the stack test checks the two agree.
 */
export const IMAGE_SOURCES = ['package.json', 'package-lock.json', 'model', 'container', 'scripts', 'data/penguins.csv', 'data/penguins.schema.json'] as const;

/** The serving image as a CDK Docker asset: built by `cdk deploy` from the repository root and pushed to the CDK assets repository. */
export const SERVING_IMAGE_ASSET: DockerImageAssetProps = {
  directory: REPO_ROOT,
  file: DOCKERFILE,
  platform: Platform.LINUX_AMD64,
  ignoreMode: IgnoreMode.DOCKER,
  exclude: ['*', ...IMAGE_SOURCES.map((source) => `!${source}`), '**/node_modules', '**/*.db', '**/*.db-*'],
};
