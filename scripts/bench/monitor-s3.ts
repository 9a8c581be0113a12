// `npm run bench:monitor -- --s3`: `rookery monitor` over SageMaker Data
// Capture objects in moto's S3 (10,000 objects of 100 records: 1,000,000
// records), against `aws s3 sync` of the same prefix (AWS CLI v1), measured in
// the same run. The target: rookery reads and reports at least as fast as the
// AWS CLI only downloads.

import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sagemakerCaptureRecord } from '../../container/capture/jsonl.ts';
import { loadDataset, rowAt } from '../../model/dataset.ts';
import { createRandom } from '../../model/random.ts';
import { loadSchema } from '../../model/schema.ts';
import { s3Client } from '../aws/clients.ts';
import { Moto, MOTO_INSTALL, motoAvailable } from '../aws/moto-server.ts';
import { DEFAULT_DATA_PATH, DEFAULT_SCHEMA_PATH } from '../config.ts';
import { mb, measure, seconds, type Measured } from './measure.ts';

const RECORDS_PER_OBJECT = 100;
const UPLOADS_IN_FLIGHT = 64;
export const BUCKET = 'rookery-bench-captures';
export const PREFIX = 'penguins-endpoint/AllTraffic';

/** One capture object: RECORDS_PER_OBJECT one-row requests as SageMaker writes them, every other one's body_mass_g drifted. */
function captureObject(pool: { row: Record<string, unknown>; species: string }[], random: () => number, n: number, start: number): string {
  const lines: string[] = [];
  for (let r = 0; r < RECORDS_PER_OBJECT; r++) {
    const { row, species } = pool[Math.floor(random() * pool.length)];
    const i = n * RECORDS_PER_OBJECT + r;
    const values = i % 2 === 1 && typeof row.body_mass_g === 'number' ? { ...row, body_mass_g: row.body_mass_g + 800 + random() * 1600 } : row;
    const predictions = [{ prediction: species, confidence: 0.5 + random() / 2 }];
    const record = sagemakerCaptureRecord({
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      time: new Date(start + i * 50),
      rows: [values as never],
      predictions,
      requestBody: JSON.stringify({ dataframe_records: [values] }),
      requestContentType: 'application/json',
      responseBody: JSON.stringify({ predictions }),
    });
    lines.push(JSON.stringify(record));
  }
  return `${lines.join('\n')}\n`;
}

/** Uploads the objects with UPLOADS_IN_FLIGHT PutObject calls at a time. */
export async function upload(objects: number): Promise<void> {
  const schema = loadSchema(DEFAULT_SCHEMA_PATH);
  const data = loadDataset(DEFAULT_DATA_PATH, schema);
  const pool = Array.from({ length: data.size }, (_, i) => ({ row: rowAt(data, i) as Record<string, unknown>, species: schema.target.classes[data.target![i]] }));
  const random = createRandom(7);
  const start = Date.parse('2025-01-01T00:00:00Z');
  const client = s3Client();
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  let next = 0;
  const worker = async () => {
    for (let n = next++; n < objects; n = next++) {
      const hour = new Date(start + n * RECORDS_PER_OBJECT * 50).toISOString().slice(0, 13).replace(/[-T]/g, '/');
      const key = `${PREFIX}/${hour}/capture-${String(n).padStart(6, '0')}.jsonl`;
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: captureObject(pool, random, n, start) }));
    }
  };
  await Promise.all(Array.from({ length: UPLOADS_IN_FLIGHT }, worker));
  client.destroy();
}

export async function benchS3(objects: number, runReport: (args: string[], env?: NodeJS.ProcessEnv) => Promise<Measured>): Promise<number> {
  if (!motoAvailable()) {
    console.error(`bench:monitor --s3: ${MOTO_INSTALL}`);
    return 2;
  }
  if (spawnSync('aws', ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error('bench:monitor --s3: the AWS CLI is not installed (`aws --version` must run): pip install awscli');
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'rookery-bench-s3-'));
  const moto = await Moto.start();
  const restore = moto.useInProcess();
  try {
    const uploaded = performance.now();
    await upload(objects);
    console.log(`uploaded ${objects.toLocaleString('en')} capture objects (${(objects * RECORDS_PER_OBJECT).toLocaleString('en')} records) to moto's S3 in ${seconds(performance.now() - uploaded)}`);
    const env = { ...process.env, ...moto.env() };
    const uri = `s3://${BUCKET}/${PREFIX}`;
    const sync = await measure('aws', ['--endpoint-url', moto.url, 's3', 'sync', '--only-show-errors', uri, join(dir, 'sync')], { cwd: dir, env });
    if (sync.exitCode !== 0) throw new Error(`aws s3 sync failed:\n${sync.output}`);
    const report = await runReport(['--datastore', uri, '--out', join(dir, 'report')], env);
    if (report.exitCode !== 0 || !/monitor exit 0/.test(report.output)) throw new Error(`the monitor failed:\n${report.output}`);
    console.log('');
    console.log(`aws s3 sync (download only):              ${seconds(sync.wallMs)}, peak RSS ${mb(sync.peakBytes)}`);
    console.log(`rookery monitor (read, analyse, report):  ${seconds(report.wallMs)}, peak RSS ${mb(report.peakBytes)}`);
    console.log(`ratio to aws s3 sync: time ${(report.wallMs / sync.wallMs).toFixed(2)}×`);
    const met = report.wallMs <= sync.wallMs;
    console.log(`target: at least as fast as the AWS CLI's download ${met ? 'met' : 'MISSED'}`);
    return met ? 0 : 1;
  } finally {
    restore();
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
