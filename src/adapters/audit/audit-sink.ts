import { chmodSync } from 'node:fs';
import { destination, type Logger } from 'pino';

/** Where audit lines go: one JSON object per line. */
export interface AuditSink {
  write(line: string): void;
  /** Writes out what is buffered and closes a file; stdout stays open. */
  close(): void;
}

const AUDIT_FILE_MODE = 0o640;

/** What a file that cannot be written (a full disk) holds back in memory before it drops records: some 40,000 of them. */
const HELD_BYTES = 16 * 1024 * 1024;

/**
 * Appends to `file` (made with its directory if missing), or writes to stdout when no file is
 * given. Lines are written synchronously, so none is lost with the process, but those written in
 * one turn of the event loop leave in one write at its end (and at exit, whatever is left): under
 * load a write call per line cost more than the rest of a verify answer.
 *
 * A write that fails (a full disk, a quota) does not stop the service: the destination keeps the
 * failed write and tries it again at each turn that has lines; the lines meanwhile are held here,
 * up to `heldBytes` (past it they are dropped), and written after it once it succeeds. The failure,
 * the first line dropped and the recovery are each logged once.
 */
export function createAuditSink(file: string | undefined, log: Logger, heldBytes = HELD_BYTES): AuditSink {
  const stream = destination(file === undefined ? { dest: 1, sync: true } : { dest: file, sync: true, append: true, mkdir: true, mode: AUDIT_FILE_MODE });
  // Readable by its owner (and group) only: each record holds a user id, an IP and a user agent. A
  // file made before (by an older resetd, or by hand) is narrowed too.
  if (file !== undefined) chmodSync(file, AUDIT_FILE_MODE);
  const where = file ?? 'stdout';
  let failing = false;
  let held: string[] = [];
  let heldLength = 0;
  let dropped = 0;
  stream.on('error', (error: Error) => {
    if (!failing) log.error({ err: error, file: where, heldUpToBytes: heldBytes }, 'audit records cannot be written; held in memory and written once the file takes them');
    failing = true;
  });
  stream.on('write', () => {
    if (!failing) return;
    failing = false;
    log.info({ file: where, droppedLines: dropped }, 'audit records written again');
    dropped = 0;
  });
  const hold = (lines: string[]) => {
    for (const line of lines) {
      if (heldLength + line.length > heldBytes) {
        if (dropped === 0) log.error({ file: where }, `audit records dropped: more than ${heldBytes} bytes held back`);
        dropped += 1;
        continue;
      }
      held.push(line);
      heldLength += line.length;
    }
  };

  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    // An empty write tries the failed one again, and nothing more.
    if (failing) stream.write('');
    if (failing) return hold(lines);
    const batch = held.concat(lines).join('');
    held = [];
    heldLength = 0;
    stream.write(batch);
  };
  process.once('exit', flush);
  return {
    write: (line) => {
      if (pending.push(line) === 1) setImmediate(flush);
    },
    close: () => {
      flush();
      process.off('exit', flush);
      if (file !== undefined) stream.end();
    },
  };
}
