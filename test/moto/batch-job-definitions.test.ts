/**
 * PipelineStack's AWS Batch job definitions, registered as CloudFormation
 * would register them: each synthesized AWS::Batch::JobDefinition's
 * properties as a RegisterJobDefinition request (CloudFormation's property
 * names are the API's, capitalised), sent with the AWS CLI, whose botocore
 * model rejects any member the API lacks, to moto_server's Batch, which
 * checks image, vCPUs and memory; then read back with DescribeJobDefinitions.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MOTO_INSTALL, MOTO_REGION, useMoto } from '../helpers/moto.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { ACCOUNT, synthPipeline } from '../pipeline/definition.ts';

const moto = useMoto();
const awsCli = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;
const tempDir = useTempDirs('rookery-batch-');
/** Properties whose keys are names chosen by us, not API members: kept as they are. */
const MAPS = new Set(['Parameters', 'Tags', 'Options']);

/** A CloudFormation value with its intrinsic functions replaced by well-formed stand-ins. */
function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, any>;
  if ('Ref' in o) return o.Ref === 'AWS::Region' ? MOTO_REGION : o.Ref === 'AWS::AccountId' ? ACCOUNT : o.Ref === 'AWS::Partition' ? 'aws' : `arn:aws:secretsmanager:${MOTO_REGION}:${ACCOUNT}:secret:${o.Ref}`;
  if ('Fn::GetAtt' in o) return `arn:aws:iam::${ACCOUNT}:role/${o['Fn::GetAtt'][0]}`;
  if ('Fn::Join' in o) return (o['Fn::Join'][1] as unknown[]).map(resolve).join(o['Fn::Join'][0]);
  if ('Fn::Sub' in o) return String(o['Fn::Sub']).replace(/\$\{AWS::Region\}/g, MOTO_REGION).replace(/\$\{AWS::AccountId\}/g, ACCOUNT).replace(/\$\{[^}]+\}/g, 'x');
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v)]));
}

/** CloudFormation's PascalCase property names as the API's camelCase members (maps keep their keys). */
function apiNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(apiNames);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k[0].toLowerCase() + k.slice(1), MAPS.has(k) ? v : apiNames(v)]));
}

function aws(...args: string[]): any {
  const out = execFileSync('aws', [...args, '--region', MOTO_REGION, '--output', 'json'], { env: { ...process.env, ...moto.server.env() }, encoding: 'utf8' });
  return JSON.parse(out);
}

describe("PipelineStack's Batch job definitions against moto_server", () => {
  if (!moto.available || !awsCli) {
    it.skip(!moto.available ? MOTO_INSTALL : 'the AWS CLI is not installed: run `pip install awscli`', () => {});
    return;
  }

  it('register as the API defines them and read back as synthesized', () => {
    const { template } = synthPipeline();
    const definitions = Object.entries(template.findResources('AWS::Batch::JobDefinition'));
    expect(definitions.length).toBeGreaterThanOrEqual(3);
    const dir = tempDir();
    const requests = definitions.map(([logicalId, resource]) => {
      const request = apiNames(resolve(resource.Properties)) as Record<string, any>;
      request.jobDefinitionName ??= logicalId;
      const file = join(dir, `${logicalId}.json`);
      writeFileSync(file, JSON.stringify(request));
      expect(aws('batch', 'register-job-definition', '--cli-input-json', `file://${file}`).jobDefinitionName).toBe(request.jobDefinitionName);
      return request;
    });
    const described = new Map((aws('batch', 'describe-job-definitions', '--status', 'ACTIVE').jobDefinitions as any[]).map((d) => [d.jobDefinitionName, d]));
    for (const request of requests) {
      const d = described.get(request.jobDefinitionName);
      expect(d.type).toBe(request.type);
      expect(d.platformCapabilities).toEqual(request.platformCapabilities);
      expect(d.containerProperties.command).toEqual(request.containerProperties.command);
      expect(d.containerProperties.resourceRequirements).toEqual(request.containerProperties.resourceRequirements);
    }
  }, 120_000);
});
