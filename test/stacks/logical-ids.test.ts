import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { GroupingConstruct, RookeryStack } from '../../stacks/support/logical-ids.ts';

describe('RookeryStack logical ids', () => {
  it('leaves GroupingConstruct levels out, and keeps every other construct level', () => {
    const stack = new RookeryStack(new App(), 'Test');
    const plain = new Stack(new App(), 'Plain');
    const top = new CfnResource(stack, 'Thing', { type: 'Test::Thing' });
    const grouped = new CfnResource(new GroupingConstruct(stack, 'Group'), 'Grouped', { type: 'Test::Thing' });
    const nested = new CfnResource(new Construct(new GroupingConstruct(stack, 'Outer'), 'Inner'), 'Leaf', { type: 'Test::Thing' });
    const reference = new CfnResource(new Construct(plain, 'Inner'), 'Leaf', { type: 'Test::Thing' });
    expect(stack.getLogicalId(top)).toBe('Thing');
    expect(stack.getLogicalId(grouped)).toBe('Grouped');
    // Same as a plain stack gives Inner/Leaf created straight in it.
    expect(stack.getLogicalId(nested)).toBe(plain.getLogicalId(reference));
    expect(stack.getLogicalId(nested)).toMatch(/^InnerLeaf[0-9A-F]{8}$/);
  });
});
