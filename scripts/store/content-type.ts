// The Content-Type a store writes an object with, by its key's extension: one
// table for the S3 and Azure Blob stores, so a report or capture file opens
// the same way in either console.
const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.html': 'text/html; charset=utf-8',
  '.csv': 'text/csv',
  '.gz': 'application/gzip',
};

export function contentType(key: string): string {
  const ext = /\.[a-z]+$/i.exec(key)?.[0].toLowerCase() ?? '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}
