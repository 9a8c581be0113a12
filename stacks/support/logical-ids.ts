import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Marks constructs whose id is left out of their resources' logical ids. */
const GROUPING = Symbol.for('rookery.grouping-construct');

/**
 * A construct that groups resources without renaming them: its resources
 * get the logical ids they would have if they were created straight in the
 * enclosing stack (`Endpoint`, not `SageMakerEndpointEndpoint1A2B3C4D`).
 *
 * The stacks were first written without constructs; their deployed
 * resources include named ones (the endpoint, its alarms and log group,
 * the MLflow instance with its SQLite data) that CloudFormation would
 * replace, or fail to create under the same name, if their logical ids
 * changed. Only stacks extending RookeryStack honour this. Resources of two
 * grouping constructs in one scope must not share an id.
 */
export class GroupingConstruct extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    Object.defineProperty(this, GROUPING, { value: true });
  }
}

/** A Stack whose logical ids skip GroupingConstruct levels of the construct path. */
export class RookeryStack extends Stack {
  protected override allocateLogicalId(element: CfnElement): string {
    const scopes = element.node.scopes;
    const kept = scopes.slice(scopes.indexOf(element.stack)).filter((scope) => !(GROUPING in scope));
    // Stack's own naming scheme (path components joined, plus a hash) over the path without them.
    return super.allocateLogicalId({ node: { scopes: kept }, stack: element.stack } as unknown as CfnElement);
  }
}
