/**
 * What `rookery score --target azure` accepts as --input and --output, turned
 * into what an Azure ML command job mounts. Inputs: a blob URL, a datastore
 * path or a data asset. Outputs: Azure ML writes job outputs through
 * datastores only, so a datastore path, or a blob URL in the app's batch
 * container (written through its rookery_batch datastore).
 */
import { BATCH_CONTAINER, BATCH_DATASTORE } from '../../cloud/azure-batch.ts';
import { isBlobUri, parseBlobUri } from '../../cloud/blob-location.ts';
import { UserError } from '../../model/user-error.ts';

/** `azureml://datastores/NAME/paths/PATH`, short form or with the workspace before `datastores/`. */
const DATASTORE_PATH = /^azureml:\/\/(?:subscriptions\/[^/]+\/resourcegroups\/[^/]+\/workspaces\/[^/]+\/)?datastores\/([A-Za-z0-9_]+)\/paths\/(.+)$/i;
/** A registered data asset: `azureml:NAME:VERSION`. */
const DATA_ASSET = /^azureml:[A-Za-z0-9][\w.-]*:[\w.-]+$/;
/** A file name the job's shell command can carry unquoted. */
const SAFE_NAME = /^[\w.-]+$/;

const INPUT_FORMS =
  'a blob URL (https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH), a datastore path (azureml://datastores/NAME/paths/PATH) or a data asset (azureml:NAME:VERSION)';
const OUTPUT_FORMS = `a datastore path (azureml://datastores/NAME/paths/DIR/FILE) or a blob URL in the ${BATCH_CONTAINER} container (https://ACCOUNT.blob.core.windows.net/${BATCH_CONTAINER}/DIR/FILE)`;

/** The URI the job's `uri_file` input reads. */
export function jobInputUri(input: string): string {
  if (DATASTORE_PATH.test(input) || DATA_ASSET.test(input)) return input;
  if (isBlobUri(input)) {
    const blob = parseBlobUri(input);
    if (!input.startsWith('https://')) {
      throw new UserError(`--input ${input} is not reachable from Azure ML: a job reads an https:// blob URL`, { exitCode: 2 });
    }
    if (!blob.prefix || blob.prefix.endsWith('/')) throw new UserError(`--input ${input} names a folder: name the file to score`, { exitCode: 2 });
    return input;
  }
  throw new UserError(`--input ${input}: on Azure ML the input is ${INPUT_FORMS}; upload a local file first (az storage blob upload)`, { exitCode: 2 });
}

export interface JobOutputPlace {
  /** The `uri_folder` output the job mounts read-write, ending in `/`. */
  folderUri: string;
  /** The scored file's name inside it (the rejects go beside it). */
  fileName: string;
}

/** Where the job writes: the folder it mounts and the file name inside it. */
export function jobOutputPlace(output: string): JobOutputPlace {
  let datastore: string;
  let path: string;
  const m = DATASTORE_PATH.exec(output);
  if (m) {
    [datastore, path] = [m[1], m[2]];
  } else if (isBlobUri(output)) {
    const blob = parseBlobUri(output);
    if (blob.container !== BATCH_CONTAINER) {
      throw new UserError(`--output ${output}: Azure ML writes job outputs through datastores only; write ${OUTPUT_FORMS}`, { exitCode: 2 });
    }
    [datastore, path] = [BATCH_DATASTORE, blob.prefix];
  } else {
    throw new UserError(`--output ${output}: on Azure ML the output is ${OUTPUT_FORMS}`, { exitCode: 2 });
  }
  const slash = path.lastIndexOf('/');
  const fileName = path.slice(slash + 1);
  if (!fileName) throw new UserError(`--output ${output} names a folder: name the file to write (for example .../scores.csv)`, { exitCode: 2 });
  if (!SAFE_NAME.test(fileName)) throw new UserError(`--output ${output}: the file name ${JSON.stringify(fileName)} may hold only letters, digits, '.', '_' and '-'`, { exitCode: 2 });
  const folder = slash < 0 ? '' : path.slice(0, slash + 1);
  return { folderUri: `azureml://datastores/${datastore}/paths/${folder}`, fileName };
}
