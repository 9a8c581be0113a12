import type { Node } from 'constructs';

/**
 * The `-c key=value` settings every stack of the app reads, checked once at
 * start-up. Values from the command line arrive as strings, values from
 * cdk.json may be JSON booleans; both are accepted.
 */
export interface RookeryContext {
  /** Keep the artifact bucket (and snapshot the database) on `cdk destroy`. */
  retainData: boolean;
  /** EC2 instance type of the MLflow server. */
  mlflowInstanceType: string;
  /** Opens port 5000 to this IPv4 range; unset means no inbound rule at all. */
  mlflowAllowedCidr?: string;
  /** Existing VPC for the server (looked up, so it needs an account and region); unset creates one. */
  vpcId?: string;
  /** Where MLflow keeps runs and the registry. */
  mlflowBackend: 'sqlite' | 'postgres';
  /** One-minute CloudWatch metrics for the instance (billed). */
  mlflowDetailedMonitoring: boolean;
}

export const CONTEXT_DEFAULTS = {
  retainData: false,
  mlflowInstanceType: 't3.small',
  mlflowBackend: 'sqlite',
  mlflowDetailedMonitoring: false,
} as const satisfies Partial<RookeryContext>;

/** A bad `-c` value: says which key, what it got and what it takes. */
export class ContextError extends Error {
  constructor(key: string, value: unknown, expected: string) {
    super(`-c ${key}=${typeof value === 'string' ? value : JSON.stringify(value)} is not valid: ${expected}`);
    this.name = 'ContextError';
  }
}

function readBoolean(node: Node, key: string, fallback: boolean): boolean {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new ContextError(key, raw, 'use true or false');
}

function readString(node: Node, key: string): string | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new ContextError(key, raw, 'expected a string');
  return raw.trim();
}

// e.g. t3.small, m7g.large, c6in.2xlarge, u-6tb1.metal
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/** An IPv4 CIDR other than "everyone": a.b.c.d/n with n from 1 to 32 and host bits zero. */
export function checkCidr(key: string, value: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || prefix > 32) {
    throw new ContextError(key, value, 'expected an IPv4 range like 203.0.113.7/32 (your address: curl -s https://checkip.amazonaws.com)');
  }
  if (prefix === 0) {
    throw new ContextError(key, value, 'refusing to open MLflow to the whole internet; give your own address as a.b.c.d/32, or leave it unset and use `rookery mlflow tunnel`');
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  if (address % hostBits !== 0) {
    const network = address - (address % hostBits);
    const base = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.');
    throw new ContextError(key, value, `host bits are set; did you mean ${base}/${prefix}?`);
  }
  return value;
}

/** Reads and checks the app's context; throws ContextError naming the first bad value. */
export function readContext(node: Node): RookeryContext {
  const instanceType = readString(node, 'mlflowInstanceType') ?? CONTEXT_DEFAULTS.mlflowInstanceType;
  if (!INSTANCE_TYPE.test(instanceType)) throw new ContextError('mlflowInstanceType', instanceType, 'expected an EC2 instance type like t3.small');

  const backend = readString(node, 'mlflowBackend') ?? CONTEXT_DEFAULTS.mlflowBackend;
  if (backend !== 'sqlite' && backend !== 'postgres') throw new ContextError('mlflowBackend', backend, 'use sqlite or postgres');

  const vpcId = readString(node, 'vpcId');
  if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) throw new ContextError('vpcId', vpcId, 'expected a VPC id like vpc-0abc1234def567890');

  const cidr = readString(node, 'mlflowAllowedCidr');
  return {
    retainData: readBoolean(node, 'retainData', CONTEXT_DEFAULTS.retainData),
    mlflowInstanceType: instanceType,
    ...(cidr !== undefined ? { mlflowAllowedCidr: checkCidr('mlflowAllowedCidr', cidr) } : {}),
    ...(vpcId !== undefined ? { vpcId } : {}),
    mlflowBackend: backend,
    mlflowDetailedMonitoring: readBoolean(node, 'mlflowDetailedMonitoring', CONTEXT_DEFAULTS.mlflowDetailedMonitoring),
  };
}

/**
 * Stacks stay environment-agnostic (synth needs no credentials) unless a
 * lookup needs a concrete account and region: `-c vpcId=...` does.
 */
export function stackEnv(ctx: RookeryContext, env: NodeJS.ProcessEnv = process.env): { account: string; region: string } | undefined {
  if (!ctx.vpcId) return undefined;
  const account = env.CDK_DEFAULT_ACCOUNT;
  const region = env.CDK_DEFAULT_REGION;
  if (!account || !region) {
    throw new ContextError('vpcId', ctx.vpcId, 'looking up an existing VPC needs AWS credentials and a region (AWS_PROFILE / AWS_REGION); leave vpcId unset to create a new VPC');
  }
  return { account, region };
}
