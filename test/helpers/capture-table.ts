// The capture table (`data`) as tests read it back: every row, in insertion order.
import Database from 'better-sqlite3';

/** A version 4 UUID, as the capture writer generates per row. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function readCaptureTable(path: string): Record<string, unknown>[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT * FROM data ORDER BY rowid').all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}
