import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { sagemakerTarget } from '../../scripts/targets/sagemaker.ts';
import { openTarget } from '../../scripts/targets/open.ts';
import { AwsDouble, CREDENTIALS, REGION } from '../helpers/aws-double.ts';

let aws: AwsDouble;
let client: SageMakerRuntimeClient;
const ROWS = { dataframe_records: [{ island: 'Torgersen', culmen_length_mm: 39.1, culmen_depth_mm: 18.7, flipper_length_mm: 181, body_mass_g: 3750, sex: 'MALE' }] };

beforeAll(async () => {
  aws = await AwsDouble.start();
  aws.seedEndpoint({ name: 'rookery-penguins', bucket: 'rookery-data' });
  client = new SageMakerRuntimeClient({ region: REGION, endpoint: aws.url, credentials: CREDENTIALS, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await aws.close();
});
beforeEach(() => {
  aws.calls.length = 0;
  aws.failWith = undefined;
  aws.container = ({ headers }) => ({
    status: 200,
    body: JSON.stringify({ predictions: [{ prediction: 'Adelie', confidence: 0.98 }] }),
    contentType: 'application/json',
    ...(headers['x-amzn-sagemaker-custom-attributes'] ? { customAttributes: String(headers['x-amzn-sagemaker-custom-attributes']) } : {}),
  });
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

    const [call] = aws.operations('runtime', 'InvokeEndpoint');
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
    const [call] = aws.operations('runtime', 'InvokeEndpoint');
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
