/**
 * Constructs that group a stack's resources for reading and testing without
 * renaming them in Terraform.
 *
 * cdktf names a resource after its construct path (`endpoint/resource`
 * becomes `endpoint_resource_90950699`), so putting existing resources under
 * a new construct would give them new addresses, and Terraform would destroy
 * and re-create everything a deployed stack has. A `FlatStack` leaves every
 * `FlatConstruct` out of the path it names resources by: a resource keeps the
 * address it would have if it were declared on the stack itself.
 */
import { Construct, type Node } from 'constructs';
import { TerraformElement, TerraformStack } from 'cdktf';

/** A construct whose id is not part of its resources' Terraform addresses in a `FlatStack`. */
export class FlatConstruct extends Construct {}

export class FlatStack extends TerraformStack {
  /** Address → construct path, so two groups' children can never silently share an address. */
  private readonly addresses = new Map<string, string>();

  override allocateLogicalId(element: TerraformElement | Node): string {
    const node = TerraformElement.isTerraformElement(element) ? element.node : element;
    const scopes = node.scopes.filter((scope) => !(scope instanceof FlatConstruct));
    // cdktf's allocator reads only the `scopes` of the node it is given (app, stack, …, element).
    const id = super.allocateLogicalId({ scopes } as unknown as Node);
    const owner = this.addresses.get(id);
    if (owner !== undefined && owner !== node.path) throw new Error(`${node.path} and ${owner} would both have the Terraform address ${id}`);
    this.addresses.set(id, node.path);
    return id;
  }
}
