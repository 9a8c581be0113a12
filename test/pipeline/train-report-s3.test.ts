/**
 * The pipeline's training job keeps report.html with the run's outputs: run
 * as the job definition runs it (`train --no-register --out s3://… --result
 * s3://…`) against moto_server, the report lands beside the artifact as an
 * HTML object, the result names it, and `rookery pipeline run`'s history
 * printer shows it once the state machine has read that result.
 */
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../scripts/aws/clients.ts';
import { HistoryPrinter } from '../../scripts/pipeline/execution.ts';
import { runCli } from '../helpers/cli.ts';
import { MOTO_INSTALL, useMoto } from '../helpers/moto.ts';

const moto = useMoto();
const RUN = 's3://rookery-runs/runs/exec-1';
let client: S3Client;

beforeAll(async () => {
  if (!moto.available) return;
  client = s3Client();
  await client.send(new CreateBucketCommand({ Bucket: 'rookery-runs' }));
}, 60_000);

async function object(key: string): Promise<{ text: string; contentType: string | undefined }> {
  const answer = await client.send(new GetObjectCommand({ Bucket: 'rookery-runs', Key: key }));
  return { text: await answer.Body!.transformToString('utf8'), contentType: answer.ContentType };
}

describe('the training job’s report in S3', () => {
  if (!moto.available) {
    it.skip(MOTO_INSTALL, () => {});
    return;
  }

  it('is uploaded beside the artifact, named by the result, and printed by the pipeline watcher', async () => {
    const args = ['train', '--no-register', '--name', 'penguins', '--accuracy-threshold', '0.9', '--out', `${RUN}/model`, '--result', `${RUN}/training.json`];
    const trained = await runCli(args, moto.server.env(), { timeoutMs: 60_000 });
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    expect(trained.stdout).toContain(`training report: ${RUN}/model/report.html\n`);

    const result = await object('runs/exec-1/training.json');
    const training = JSON.parse(result.text);
    expect(training).toMatchObject({ artifact: `${RUN}/model`, report: `${RUN}/model/report.html`, passed: true });
    const report = await object('runs/exec-1/model/report.html');
    expect(report.contentType).toBe('text/html; charset=utf-8');
    expect(report.text).toMatch(/^<!doctype html>/);
    expect(report.text).toContain(`cross-validated accuracy ${training.accuracy.toFixed(4)} meets the threshold 0.9; not registered (--no-register)`);

    // What Step Functions' history holds once ReadTrainingResult put that result under $.training.result.
    const lines: string[] = [];
    const printer = new HistoryPrinter((l) => lines.push(l));
    const timestamp = new Date('2024-06-01T10:00:00Z');
    const state = { run: { bucket: 'rookery-runs', prefix: 'runs/exec-1' }, training: { result: training } };
    for (const name of ['ReadTrainingResult', 'AccuracyGate']) {
      printer.print({ id: 1, timestamp, type: 'TaskStateEntered', stateEnteredEventDetails: { name, input: '{}' } });
      printer.print({ id: 2, timestamp, type: 'TaskStateExited', stateExitedEventDetails: { name, output: JSON.stringify(state) } });
    }
    expect(lines.filter((l) => l.includes('training report'))).toEqual([`10:00:00Z     training report: ${RUN}/model/report.html`]);
  }, 90_000);
});
