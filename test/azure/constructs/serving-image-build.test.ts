import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES } from '../../../cloud/azure-ml.ts';
import { ServingImageBuild, type ServingImageBuildProps } from '../../../azure/constructs/serving-image-build.ts';
import { resources, synthConstruct } from './synth.ts';

const props: ServingImageBuildProps = {
  workspaceId: 'WS',
  registry: { name: 'myacr', loginServer: 'myacr.azurecr.io' },
  subscriptionId: 'SUB',
  image: { tag: '0123456789abcdef', files: ['a', 'b'] },
  method: 'acr',
  dockerfile: 'container/Dockerfile',
  workingDir: '../..',
};

describe('ServingImageBuild', () => {
  it('builds the tagged image in Azure and wraps it in an environment version named by the tag', () => {
    const json = synthConstruct((stack) => new ServingImageBuild(stack, 'ServingImageBuild', props));
    const build = resources(json, 'terraform_data').image_build;
    expect(build.input).toEqual({ image: 'myacr.azurecr.io/rookery-serve:0123456789abcdef', files: 2 });
    expect(build.provisioner[0]['local-exec']).toEqual({
      command: 'az acr build --registry myacr --subscription SUB --image rookery-serve:0123456789abcdef --file container/Dockerfile --platform linux/amd64 .',
      working_dir: '../..',
    });
    const env = Object.values(resources(json, 'azapi_resource'))[0] as any;
    expect(env.type.split('@')[0]).toBe(RESOURCE_TYPES.environmentVersion);
    expect(env).toMatchObject({ name: '0123456789abcdef', parent_id: 'WS/environments/rookery-serve', depends_on: ['terraform_data.image_build'] });
    expect(env.body.properties.image).toBe('myacr.azurecr.io/rookery-serve:0123456789abcdef');
  });

  it('builds locally with docker and pushes when asked to', () => {
    const json = synthConstruct((stack) => new ServingImageBuild(stack, 'ServingImageBuild', { ...props, method: 'docker' }));
    expect(resources(json, 'terraform_data').image_build.provisioner[0]['local-exec'].command).toBe(
      'az acr login --name myacr --subscription SUB && docker build --platform linux/amd64 --file container/Dockerfile --tag myacr.azurecr.io/rookery-serve:0123456789abcdef . && docker push myacr.azurecr.io/rookery-serve:0123456789abcdef',
    );
  });
});
