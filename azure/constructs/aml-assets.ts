/**
 * Typed constructs over azapi for the workspace's versioned assets: an
 * environment version (the serving image) and a model version (the uploaded
 * files). Both are immutable in Azure ML, so a change is a new version.
 */
import { Construct } from 'constructs';
import type { TerraformMetaArguments } from 'cdktf';
import { RESOURCE_TYPES } from '../../cloud/azure-ml.ts';
import { AzapiResource } from '../azapi-provider.ts';
import { environmentVersionBody, modelVersionBody, type EnvironmentBodyInput, type EnvironmentVersionBody, type ModelVersionBody } from '../arm-bodies.ts';

export interface EnvironmentVersionProps extends EnvironmentBodyInput {
  readonly workspaceId: string;
  /** The environment (container) name. */
  readonly name: string;
  readonly version: string;
  /** @default none */
  readonly dependsOn?: TerraformMetaArguments['dependsOn'];
}

/** A custom-container environment: the image plus the routes Azure ML probes and scores on. */
export class EnvironmentVersion extends Construct {
  readonly resource: AzapiResource<EnvironmentVersionBody>;
  readonly body: EnvironmentVersionBody;

  constructor(scope: Construct, id: string, props: EnvironmentVersionProps) {
    super(scope, id);
    this.body = environmentVersionBody(props);
    this.resource = new AzapiResource(this, 'resource', {
      resourceType: RESOURCE_TYPES.environmentVersion,
      name: props.version,
      parentId: `${props.workspaceId}/environments/${props.name}`,
      body: this.body,
      dependsOn: props.dependsOn,
      // Versions are immutable: a new image is a new version, created before the old one goes.
      lifecycle: { createBeforeDestroy: true },
    });
  }

  get id(): string {
    return this.resource.id;
  }
}

export interface ModelVersionProps {
  readonly workspaceId: string;
  readonly name: string;
  readonly version: string;
  readonly modelUri: string;
  /** Content hash of the uploaded files, recorded as a tag so a registration can be traced to its artifact. */
  readonly sha256: string;
  /** @default none */
  readonly description?: string;
  /** @default none */
  readonly dependsOn?: TerraformMetaArguments['dependsOn'];
}

export class ModelVersion extends Construct {
  readonly resource: AzapiResource<ModelVersionBody>;
  readonly body: ModelVersionBody;

  constructor(scope: Construct, id: string, props: ModelVersionProps) {
    super(scope, id);
    this.body = modelVersionBody(props);
    this.resource = new AzapiResource(this, 'resource', {
      resourceType: RESOURCE_TYPES.modelVersion,
      name: props.version,
      parentId: `${props.workspaceId}/models/${props.name}`,
      body: this.body,
      dependsOn: props.dependsOn,
      // Registry versions are immutable; a new version number is a new resource, created before the old one goes.
      lifecycle: { createBeforeDestroy: true },
    });
  }

  get id(): string {
    return this.resource.id;
  }
}
