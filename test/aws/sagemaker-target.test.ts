/**
 * The SageMaker traffic target. The container's answers (a 4xx as
 * ModelError, the headers it sees) come from SageMakerRuntimeDouble
 * (test/helpers/aws-double.ts): moto_server's InvokeEndpoint answers every
 * call with canned data and never a ModelError. Every answer the double
 * makes is checked against the SDK's service model after each test; the
 * last block invokes moto's own runtime.
 */
import { InvokeEndpointOutput$, ModelError$, SageMakerRuntimeClient, ValidationError$ } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { sagemakerTarget } from '../../scripts/targets/sagemaker.ts';
import { openTarget } from '../../scripts/targets/open.ts';
import { SageMakerRuntimeDouble } from '../helpers/aws-double.ts';
import { restOutputProblems, shapeProblems } from '../helpers/aws-model.ts';
import { MOTO_INSTALL, useMoto } from '../helpers/moto.ts';

const REGION = 'eu-west-1';
/** AWS's common errors (throttling, expired credentials) belong to no one service's model. */
const COMMON_ERRORS = new Set(['ThrottlingException', 'ExpiredTokenException']);
let aws: SageMakerRuntimeDouble;
let client: SageMakerRuntimeClient;
const ROWS = { dataframe_records: [{ island: 'Torgersen', culmen_length_mm: 39.1, culmen_depth_mm: 18.7, flipper_length_mm: 181, body_mass_g: 3750, sex: 'MALE' }] };

beforeAll(async () => {
  aws = await SageMakerRuntimeDouble.start();
  aws.endpoints.add('rookery-penguins');
  client = new SageMakerRuntimeClient({ region: REGION, endpoint: aws.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await aws.close();
});
beforeEach(() => {
  aws.invocations.length = 0;
  aws.answers.length = 0;
  aws.failWith = undefined;
  aws.container = ({ headers }) => ({
    status: 200,
    body: JSON.stringify({ predictions: [{ prediction: 'Adelie', confidence: 0.98 }] }),
    contentType: 'application/json',
    ...(headers['x-amzn-sagemaker-custom-attributes'] ? { customAttributes: String(headers['x-amzn-sagemaker-custom-attributes']) } : {}),
  });
});
afterEach(() => {
  for (const { operation, body } of aws.answers) {
    if (COMMON_ERRORS.has(operation)) continue;
    const b = body as any;
    const problems = operation === 'InvokeEndpoint' ? restOutputProblems(InvokeEndpointOutput$, b.headers, b.body) : shapeProblems({ ModelError: ModelError$, ValidationError: ValidationError$ }[operation], body);
    expect(problems, operation).toEqual([]);
  }
});

describe('sagemakerTarget against the SageMaker Runtime double', () => {
  it('sends MLflow scoring JSON to InvokeEndpoint with custom attributes and the inference id, and parses the answer', async () => {
    const target = sagemakerTarget({ endpoint: 'rookery-penguins', client });
    expect(target.name).toBe('sagemaker');
    expect(target.destination).toBe('SageMaker endpoint rookery-penguins');
    const result = await target.invoke(ROWS, { customAttributes: 'drift=1;run=abc', inferenceId: 'req-42' });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ predictions: [{ prediction: 'Adelie', confidence: 0.98 }] });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);

    const [call] = aws.invocations;
    expect(call.endpoint).toBe('rookery-penguins');
    expect(JSON.parse(call.body.toString('utf8'))).toEqual(ROWS);
    expect(call.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      'x-amzn-sagemaker-custom-attributes': 'drift=1;run=abc',
      'x-amzn-sagemaker-inference-id': 'req-42',
    });
    expect(String(call.headers.authorization)).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\\d{8}/${REGION}/sagemaker/aws4_request`));
  });

  it('sends text bodies as they are, with the content type asked for', async () => {
    const target = sagemakerTarget({ endpoint: 'rookery-penguins', client });
    const csv = 'island,culmen_length_mm,culmen_depth_mm,flipper_length_mm,body_mass_g,sex\nTorgersen,39.1,18.7,181,3750,MALE\n';
    expect((await target.invoke(csv, { contentType: 'text/csv' })).status).toBe(200);
    const [call] = aws.invocations;
    expect(call.body.toString('utf8')).toBe(csv);
    expect(call.headers['content-type']).toBe('text/csv');
    expect(call.headers['x-amzn-sagemaker-custom-attributes']).toBeUndefined();
  });

  it("reports the container's own 4xx answer (SageMaker's ModelError) as that status and body", async () => {
    aws.container = () => ({ status: 400, body: JSON.stringify({ error_code: 'BAD_REQUEST', message: 'missing column island' }) });
    const result = await sagemakerTarget({ endpoint: 'rookery-penguins', client }).invoke({ dataframe_records: [{}] });
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error_code: 'BAD_REQUEST', message: 'missing column island' });
  });

  it('counts throttling as an answer and stops on a missing endpoint with a message', async () => {
    aws.failWith = { status: 429, code: 'ThrottlingException', message: 'Rate exceeded' };
    const throttled = await sagemakerTarget({ endpoint: 'rookery-penguins', client }).invoke(ROWS);
    expect(throttled).toMatchObject({ status: 429, body: { error_code: 'ThrottlingException', message: 'Rate exceeded' } });
    aws.failWith = undefined;
    const missing = sagemakerTarget({ endpoint: 'no-such-endpoint', client }).invoke(ROWS);
    await expect(missing).rejects.toThrow(UserError);
    await expect(sagemakerTarget({ endpoint: 'no-such-endpoint', client }).invoke(ROWS)).rejects.toThrow(/^SageMaker endpoint no-such-endpoint not found: Endpoint no-such-endpoint of account \d+ not found\. Check --endpoint and --region/);
  });

  it('rejects an endpoint name SageMaker would not accept before calling it', () => {
    expect(() => sagemakerTarget({ endpoint: 'https://runtime.sagemaker/x', client })).toThrow(/is not a SageMaker endpoint name/);
  });

  it('turns an expired token into one line naming the profile and what to run', async () => {
    aws.failWith = { status: 400, code: 'ExpiredTokenException', message: 'The security token included in the request is expired' };
    const previous = process.env.AWS_PROFILE;
    process.env.AWS_PROFILE = 'ml-dev';
    try {
      await expect(sagemakerTarget({ endpoint: 'rookery-penguins', client }).invoke(ROWS)).rejects.toThrow(
        'the AWS credentials of profile "ml-dev" have expired (SageMaker endpoint rookery-penguins): run `aws sso login --profile ml-dev` (IAM Identity Center) or `aws configure --profile ml-dev` (access keys)',
      );
    } finally {
      if (previous === undefined) delete process.env.AWS_PROFILE;
      else process.env.AWS_PROFILE = previous;
    }
  });

  it('is what `--target sagemaker` opens', async () => {
    const target = await openTarget('sagemaker', 'rookery-penguins', { region: REGION });
    expect(target.name).toBe('sagemaker');
    expect(target.destination).toBe(`SageMaker endpoint rookery-penguins (${REGION})`);
    await target.close?.();
  });
});

const moto = useMoto();

describe('sagemakerTarget against moto_server', () => {
  if (!moto.available) {
    it.skip(MOTO_INSTALL, () => {});
    return;
  }

  it("reads the answer moto's InvokeEndpoint gives, through the client `--target sagemaker` builds", async () => {
    const predictions = { predictions: [{ prediction: 'Gentoo', confidence: 0.91 }] };
    // moto answers invocations from a queue of canned results (its /moto-api/static/sagemaker/endpoint-results).
    const queued = await fetch(new URL('/moto-api/static/sagemaker/endpoint-results', moto.server.url), {
      method: 'POST',
      body: JSON.stringify({ region: 'us-east-1', results: [{ Body: JSON.stringify(predictions), ContentType: 'application/json', InvokedProductionVariant: 'AllTraffic' }] }),
    });
    expect(queued.ok).toBe(true);
    const target = await openTarget('sagemaker', 'rookery-penguins', { region: 'us-east-1' });
    const result = await target.invoke(ROWS, { inferenceId: 'req-1' });
    await target.close?.();
    expect(result.status).toBe(200);
    expect(result.body).toEqual(predictions);
  });
});
