/**
 * The serving image, built into the workspace's container registry whenever
 * its content hash changes, and the Azure ML environment version that wraps
 * it with the routes Azure ML probes and scores on.
 */
import { DataResource, type TerraformMetaArguments } from 'cdktf';
import type { Construct } from 'constructs';
import { ENVIRONMENT_NAME, IMAGE_REPOSITORY } from '../../cloud/azure-ml.ts';
import type { ImageContent } from '../image.ts';
import { SERVING } from '../serving.ts';
import { EnvironmentVersion } from './aml-assets.ts';
import { FlatConstruct } from './flat.ts';

/** `acr`: build in Azure with `az acr build`; `docker`: build locally and push. */
export type ImageBuild = 'acr' | 'docker';

export interface ServingImageBuildProps {
  readonly workspaceId: string;
  /** The workspace's container registry: its name and login server (`<name>.azurecr.io`). */
  readonly registry: { readonly name: string; readonly loginServer: string };
  readonly subscriptionId: string;
  /** The image's content hash and files (image.ts), computed before synth. */
  readonly image: ImageContent;
  readonly method: ImageBuild;
  /** The Dockerfile, relative to the build context. */
  readonly dockerfile: string;
  /** The build context (the repository root), relative to the stack's folder, where Terraform runs the build. */
  readonly workingDir: string;
  /** @default none */
  readonly dependsOn?: TerraformMetaArguments['dependsOn'];
}

export class ServingImageBuild extends FlatConstruct {
  /** `<login server>/rookery-serve:<tag>`. */
  readonly imageRef: string;
  readonly environment: EnvironmentVersion;

  constructor(scope: Construct, id: string, props: ServingImageBuildProps) {
    super(scope, id);
    const { tag } = props.image;
    this.imageRef = `${props.registry.loginServer}/${IMAGE_REPOSITORY}:${tag}`;
    const build = new DataResource(this, 'image_build', {
      triggersReplace: { image: this.imageRef },
      input: { image: this.imageRef, files: props.image.files.length },
      provisioners: [
        {
          type: 'local-exec',
          command: buildCommand({ ...props, imageRef: this.imageRef }),
          workingDir: props.workingDir,
        },
      ],
      dependsOn: props.dependsOn,
    });
    this.environment = new EnvironmentVersion(this, 'environment', {
      workspaceId: props.workspaceId,
      name: ENVIRONMENT_NAME,
      version: tag,
      image: this.imageRef,
      port: SERVING.port,
      livenessPath: SERVING.livenessPath,
      readinessPath: SERVING.readinessPath,
      scoringPath: SERVING.scoringPath,
      description: `rookery serving image ${tag}`,
      dependsOn: [build],
    });
  }
}

/** The shell command that builds the image and pushes it to the workspace registry. */
function buildCommand(props: Pick<ServingImageBuildProps, 'method' | 'dockerfile' | 'registry' | 'subscriptionId' | 'image'> & { imageRef: string }): string {
  const { registry, subscriptionId, dockerfile, imageRef } = props;
  if (props.method === 'docker') {
    return [
      `az acr login --name ${registry.name} --subscription ${subscriptionId}`,
      `docker build --platform linux/amd64 --file ${dockerfile} --tag ${imageRef} .`,
      `docker push ${imageRef}`,
    ].join(' && ');
  }
  return `az acr build --registry ${registry.name} --subscription ${subscriptionId} --image ${IMAGE_REPOSITORY}:${props.image.tag} --file ${dockerfile} --platform linux/amd64 .`;
}
