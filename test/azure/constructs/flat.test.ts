import { Testing, TerraformStack } from 'cdktf';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group/index.js';
import { describe, expect, it } from 'vitest';
import { FlatConstruct, FlatStack } from '../../../azure/constructs/flat.ts';

describe('FlatStack', () => {
  it('names a resource inside a FlatConstruct as if it were declared on the stack', () => {
    const stack = new FlatStack(Testing.app(), 'test');
    const group = new FlatConstruct(stack, 'Group');
    new ResourceGroup(group, 'resource_group', { name: 'rg', location: 'eastus' });
    const json = JSON.parse(Testing.synth(stack));
    expect(Object.keys(json.resource.azurerm_resource_group)).toEqual(['resource_group']);
  });

  it('keeps the group in the address in any other stack', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    new ResourceGroup(new FlatConstruct(stack, 'Group'), 'resource_group', { name: 'rg', location: 'eastus' });
    const json = JSON.parse(Testing.synth(stack));
    expect(Object.keys(json.resource.azurerm_resource_group)).toEqual([expect.stringMatching(/^Group_resource_group_[0-9A-F]{8}$/)]);
  });

  it('refuses two resources that would share an address', () => {
    const stack = new FlatStack(Testing.app(), 'test');
    new ResourceGroup(new FlatConstruct(stack, 'One'), 'resource_group', { name: 'a', location: 'eastus' });
    new ResourceGroup(new FlatConstruct(stack, 'Two'), 'resource_group', { name: 'b', location: 'eastus' });
    expect(() => Testing.synth(stack)).toThrow(/test\/Two\/resource_group and test\/One\/resource_group would both have the Terraform address resource_group/);
  });
});
