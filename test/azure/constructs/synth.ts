/** Synthesizes one construct from props alone, in a bare stack, for the per-construct tests. */
import { Testing, type TerraformStack } from 'cdktf';
import { FlatStack } from '../../../azure/constructs/flat.ts';
import type { TerraformJson } from '../fixtures.ts';

export function synthConstruct(build: (stack: TerraformStack) => void): TerraformJson {
  const stack = new FlatStack(Testing.app(), 'test');
  build(stack);
  return JSON.parse(Testing.synth(stack)) as TerraformJson;
}

/** The resources of one type, by Terraform name. */
export function resources(json: TerraformJson, type: string): Record<string, any> {
  return json.resource[type] ?? {};
}
