import { closeSync, openSync, readSync } from "node:fs";

/**
 * How many times the WAL of the database at `path` has started over: the checkpoint sequence
 * number in the WAL file's header (bytes 12–15, big-endian), which SQLite raises each time a
 * writer (or a RESTART/TRUNCATE checkpoint) starts the WAL from its first frame. Each start makes
 * the writer sync the new header, so the difference between two readings counts those syncs
 * without strace. `undefined` while there is no WAL file or header.
 */
export function walStarts(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(`${path}-wal`, "r");
  } catch {
    return undefined;
  }
  try {
    const header = Buffer.alloc(32);
    return readSync(fd, header, 0, 32, 0) === 32 ? header.readUInt32BE(12) : undefined;
  } finally {
    closeSync(fd);
  }
}
