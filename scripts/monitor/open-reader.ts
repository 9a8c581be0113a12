import type { CaptureReader } from './capture-reader.ts';

/** Opens the reader for a capture location URI; cloud stores load their SDK only when used. */
export async function openCaptureReader(uri: string): Promise<CaptureReader> {
  const trimmed = uri.trim();
  if (trimmed.startsWith('sqlite://')) {
    const { SqliteCaptureReader } = await import('./sqlite-reader.ts');
    return new SqliteCaptureReader(trimmed);
  }
  const { JsonlCaptureReader } = await import('./jsonl-reader.ts');
  return new JsonlCaptureReader(trimmed);
}
