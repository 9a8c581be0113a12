// Reads the capture table straight from the SQLite file (and its WAL),
// decoding each row's record into the column builder without creating a JS
// value per cell: better-sqlite3 hands back a fresh array of fresh values per
// row, which over a million rows is most of a report's time. Only what the
// capture table needs is supported; anything else (overflow pages, another
// text encoding, a WITHOUT ROWID table, a WAL it cannot verify) throws
// UnsupportedLayout and the caller reads through SQLite instead.
//
// File format: https://www.sqlite.org/fileformat2.html

import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

export class UnsupportedLayout extends Error {}

const PAGE_INTERIOR_TABLE = 5;
const PAGE_LEAF_TABLE = 13;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/** The committed pages of a database: the main file, with the WAL's newest committed frame of each page over it. */
export interface Pages {
  pageSize: number;
  usable: number;
  /** The page's bytes and where page n starts in them. */
  page(n: number): { bytes: Buffer; start: number };
  close(): void;
}

/** The WAL's committed frames, verified as SQLite verifies them (salts and the running checksum); later frames win. */
function walFrames(path: string, pageSize: number): { bytes: Buffer; frames: Map<number, number> } | null {
  const walPath = `${path}-wal`;
  if (!existsSync(walPath) || statSync(walPath).size < WAL_HEADER) return null;
  const wal = readFileSync(walPath);
  const magic = wal.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return null;
  const bigEndian = magic === 0x377f0683;
  if (wal.readUInt32BE(8) !== pageSize) throw new UnsupportedLayout('the WAL page size differs from the database');
  const word = bigEndian ? (o: number) => wal.readUInt32BE(o) : (o: number) => wal.readUInt32LE(o);
  let s0 = 0;
  let s1 = 0;
  const sum = (from: number, to: number) => {
    for (let o = from; o < to; o += 8) {
      s0 = (s0 + word(o) + s1) >>> 0;
      s1 = (s1 + word(o + 4) + s0) >>> 0;
    }
  };
  sum(0, 24);
  if (s0 !== wal.readUInt32BE(24) || s1 !== wal.readUInt32BE(28)) return null;
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  const frames = new Map<number, number>();
  const pending = new Map<number, number>();
  for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= wal.length; at += FRAME_HEADER + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
    sum(at, at + 8);
    sum(at + FRAME_HEADER, at + FRAME_HEADER + pageSize);
    if (s0 !== wal.readUInt32BE(at + 16) || s1 !== wal.readUInt32BE(at + 20)) break;
    pending.set(wal.readUInt32BE(at), at + FRAME_HEADER);
    // A commit frame (database size set) makes every frame since the last one part of the database.
    if (wal.readUInt32BE(at + 4) !== 0) {
      for (const [page, offset] of pending) frames.set(page, offset);
      pending.clear();
    }
  }
  return { bytes: wal, frames };
}

/** Pages read from the file a block at a time: a table written by appends keeps its leaves in order, so most pages come from the block already read. */
const BLOCK_BYTES = 1 << 20;

/**
 * The database's pages, read as needed rather than the whole file at once. A
 * page's bytes stay valid until the next call to `page` (the block buffer is
 * reused), which is all eachTableCell needs.
 */
export function openPages(path: string): Pages {
  const fd = openSync(path, 'r');
  let header: Buffer;
  let fileSize: number;
  try {
    header = Buffer.alloc(100);
    fileSize = statSync(path).size;
    if (readSync(fd, header, 0, 100, 0) < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000') throw new UnsupportedLayout('not a SQLite 3 file');
    if (header.readUInt32BE(56) !== 1) throw new UnsupportedLayout('text is not UTF-8');
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  const usable = pageSize - header[20];
  const wal = walFrames(path, pageSize);
  const block = Buffer.alloc(Math.max(BLOCK_BYTES, pageSize));
  let blockStart = -1;
  let blockEnd = -1;
  return {
    pageSize,
    usable,
    page(n) {
      const inWal = wal?.frames.get(n);
      if (inWal !== undefined) return { bytes: wal!.bytes, start: inWal };
      const start = (n - 1) * pageSize;
      if (n < 1 || start + pageSize > fileSize) throw new UnsupportedLayout(`page ${n} is outside the file`);
      if (start < blockStart || start + pageSize > blockEnd) {
        const read = readSync(fd, block, 0, Math.min(block.length, fileSize - start), start);
        blockStart = start;
        blockEnd = start + read;
      }
      return { bytes: block, start: start - blockStart };
    },
    close() {
      closeSync(fd);
    },
  };
}

/** Calls `cell(bytes, offset)` for every leaf cell of the table b-tree at `root`, in rowid order. */
export function eachTableCell(pages: Pages, root: number, cell: (bytes: Buffer, offset: number) => void): void {
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    const { bytes, start } = pages.page(n);
    const header = start + (n === 1 ? 100 : 0);
    const type = bytes[header];
    const cells = bytes.readUInt16BE(header + 3);
    if (type === PAGE_LEAF_TABLE) {
      for (let c = 0; c < cells; c++) cell(bytes, start + bytes.readUInt16BE(header + 8 + 2 * c));
    } else if (type === PAGE_INTERIOR_TABLE) {
      // Children in key order: each cell's left child, then the right-most pointer; pushed in reverse so the first pops first.
      stack.push(bytes.readUInt32BE(header + 8));
      for (let c = cells - 1; c >= 0; c--) stack.push(bytes.readUInt32BE(start + bytes.readUInt16BE(header + 12 + 2 * c)));
    } else throw new UnsupportedLayout(`page ${n} is not a table b-tree page (type ${type})`);
  }
}
