/**
 * Hand-written cdktf bindings for the azapi Terraform provider (no prebuilt
 * ones exist): the provider, `azapi_resource` and `azapi_resource_action`.
 * Generic over the request body; the Azure ML bodies are typed in
 * arm-bodies.ts and the constructs that send them live in constructs/.
 */
import { Construct } from 'constructs';
import { Token, TerraformProvider, TerraformResource, type TerraformMetaArguments } from 'cdktf';
import { AML_API_VERSION } from '../cloud/azure-ml.ts';

/**
 * azapi 2.x: `body` is a dynamic HCL value (not a JSON string) and
 * `azapi_resource_action` accepts method PUT. The newest API version is
 * usually newer than the provider's embedded schemas, so resources here turn
 * schema validation off and the tests check bodies against the ARM spec.
 */
export const AZAPI_VERSION_CONSTRAINT = '~> 2.10';

export class AzapiProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: 'azapi',
      terraformProviderSource: 'Azure/azapi',
      terraformGeneratorMetadata: { providerName: 'azapi', providerVersionConstraint: AZAPI_VERSION_CONSTRAINT },
    });
  }
}

type HclAttr = { value: unknown; isBlock: boolean; type: 'simple' | 'list' | 'map'; storageClassType: string };
const hclString = (value: string | undefined): HclAttr => ({ value, isBlock: false, type: 'simple', storageClassType: 'string' });
const hclBool = (value: boolean | undefined): HclAttr => ({ value, isBlock: false, type: 'simple', storageClassType: 'boolean' });

/** Drops undefined entries so they render neither in JSON nor in HCL. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface AzapiIdentity {
  readonly type: 'SystemAssigned' | 'UserAssigned' | 'SystemAssigned, UserAssigned' | 'None';
  /** @default none (only for a user-assigned identity) */
  readonly identityIds?: string[];
}

/** Terraform's operation timeouts (`30m`); each @default the provider's own. */
export interface AzapiTimeouts {
  readonly create?: string;
  readonly update?: string;
  readonly delete?: string;
  readonly read?: string;
}

export interface AzapiResourceConfig<B extends object> extends TerraformMetaArguments {
  /** ARM resource type without the version, e.g. Microsoft.MachineLearningServices/workspaces/onlineEndpoints. */
  readonly resourceType: string;
  /** @default AML_API_VERSION */
  readonly apiVersion?: string;
  readonly name: string;
  readonly parentId: string;
  /** @default none (proxy resources have no location) */
  readonly location?: string;
  /** @default none */
  readonly identity?: AzapiIdentity;
  readonly body: B;
  /** @default none */
  readonly tags?: Record<string, string>;
  /**
   * Read-only response paths made available as `output.<path>`.
   * @default none
   */
  readonly responseExportValues?: string[];
  /**
   * Replaces the resource when this value changes (azapi `replace_triggers_external_values`).
   * @default none
   */
  readonly replaceTriggers?: unknown;
  /** @default the provider's */
  readonly timeouts?: AzapiTimeouts;
}

/** `azapi_resource`: PUT on create and update, DELETE on destroy, long-running operations polled by the provider. */
export class AzapiResource<B extends object> extends TerraformResource {
  static readonly tfResourceType = 'azapi_resource';
  readonly resourceType: string;
  readonly apiVersion: string;
  readonly resourceName: string;
  readonly parentId: string;
  readonly location?: string;
  readonly identity?: AzapiIdentity;
  readonly body: B;
  readonly tags?: Record<string, string>;
  readonly responseExportValues?: string[];
  readonly replaceTriggers?: unknown;
  readonly timeouts?: AzapiTimeouts;

  constructor(scope: Construct, id: string, config: AzapiResourceConfig<B>) {
    super(scope, id, {
      terraformResourceType: AzapiResource.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'azapi', providerVersionConstraint: AZAPI_VERSION_CONSTRAINT },
      dependsOn: config.dependsOn,
      count: config.count,
      provider: config.provider,
      lifecycle: config.lifecycle,
      forEach: config.forEach,
      provisioners: config.provisioners,
      connection: config.connection,
    });
    this.resourceType = config.resourceType;
    this.apiVersion = config.apiVersion ?? AML_API_VERSION;
    this.resourceName = config.name;
    this.parentId = config.parentId;
    this.location = config.location;
    this.identity = config.identity;
    this.body = config.body;
    this.tags = config.tags;
    this.responseExportValues = config.responseExportValues;
    this.replaceTriggers = config.replaceTriggers;
    this.timeouts = config.timeouts;
  }

  /** The resource's ARM ID, known after apply. */
  get id(): string {
    return this.getStringAttribute('id');
  }

  /** A value exported through `responseExportValues`, e.g. `output('properties.scoringUri')`. */
  output(path: string): string {
    return Token.asString(this.interpolationForAttribute(`output.${path}`));
  }

  private get typeWithVersion(): string {
    return `${this.resourceType}@${this.apiVersion}`;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return defined({
      type: this.typeWithVersion,
      name: this.resourceName,
      parent_id: this.parentId,
      location: this.location,
      identity: this.identity && [defined({ type: this.identity.type, identity_ids: this.identity.identityIds })],
      body: this.body,
      tags: this.tags,
      schema_validation_enabled: false,
      response_export_values: this.responseExportValues,
      replace_triggers_external_values: this.replaceTriggers,
      timeouts: this.timeouts,
    });
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return defined({
      type: hclString(this.typeWithVersion),
      name: hclString(this.resourceName),
      parent_id: hclString(this.parentId),
      location: this.location === undefined ? undefined : hclString(this.location),
      identity: this.identity && {
        value: [defined({ type: this.identity.type, identity_ids: this.identity.identityIds })],
        isBlock: true,
        type: 'list',
        storageClassType: 'AzapiIdentityList',
      },
      body: this.body,
      tags: this.tags && { value: this.tags, isBlock: false, type: 'map', storageClassType: 'stringMap' },
      schema_validation_enabled: hclBool(false),
      response_export_values: this.responseExportValues,
      replace_triggers_external_values: this.replaceTriggers,
      timeouts: this.timeouts && { value: this.timeouts, isBlock: true, type: 'simple', storageClassType: 'AzapiTimeouts' },
    });
  }
}

export interface AzapiResourceActionConfig<B extends object> extends TerraformMetaArguments {
  readonly resourceType: string;
  /** @default AML_API_VERSION */
  readonly apiVersion?: string;
  readonly resourceId: string;
  readonly method: 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /**
   * The action's path below the resource.
   * @default none: a request on the resource itself (e.g. a PUT that replaces it)
   */
  readonly action?: string;
  readonly body: B;
  /**
   * Extra request headers; a changed value re-sends the request on the next apply.
   * @default none
   */
  readonly headers?: Record<string, string>;
  /**
   * `destroy`: send the request when the resource is destroyed instead of when it is created.
   * @default 'apply'
   */
  readonly when?: 'apply' | 'destroy';
  /** @default the provider's */
  readonly timeouts?: AzapiTimeouts;
}

/** `azapi_resource_action`: one request against an existing resource when created or replaced. */
export class AzapiResourceAction<B extends object> extends TerraformResource {
  static readonly tfResourceType = 'azapi_resource_action';
  readonly resourceType: string;
  readonly apiVersion: string;
  readonly resourceId: string;
  readonly method: string;
  readonly action?: string;
  readonly body: B;
  readonly headers?: Record<string, string>;
  readonly when?: 'apply' | 'destroy';
  readonly timeouts?: AzapiTimeouts;

  constructor(scope: Construct, id: string, config: AzapiResourceActionConfig<B>) {
    super(scope, id, {
      terraformResourceType: AzapiResourceAction.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'azapi', providerVersionConstraint: AZAPI_VERSION_CONSTRAINT },
      dependsOn: config.dependsOn,
      provider: config.provider,
      lifecycle: config.lifecycle,
    });
    this.resourceType = config.resourceType;
    this.apiVersion = config.apiVersion ?? AML_API_VERSION;
    this.resourceId = config.resourceId;
    this.method = config.method;
    this.action = config.action;
    this.body = config.body;
    this.headers = config.headers;
    this.when = config.when;
    this.timeouts = config.timeouts;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return defined({
      type: `${this.resourceType}@${this.apiVersion}`,
      resource_id: this.resourceId,
      method: this.method,
      action: this.action,
      body: this.body,
      headers: this.headers,
      when: this.when,
      timeouts: this.timeouts,
    });
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return defined({
      type: hclString(`${this.resourceType}@${this.apiVersion}`),
      resource_id: hclString(this.resourceId),
      method: hclString(this.method),
      action: this.action === undefined ? undefined : hclString(this.action),
      body: this.body,
      headers: this.headers && { value: this.headers, isBlock: false, type: 'map', storageClassType: 'stringMap' },
      when: this.when === undefined ? undefined : hclString(this.when),
      timeouts: this.timeouts && { value: this.timeouts, isBlock: true, type: 'simple', storageClassType: 'AzapiTimeouts' },
    });
  }
}
