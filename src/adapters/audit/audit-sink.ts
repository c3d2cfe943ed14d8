import { destination } from 'pino';

/** Where audit lines go: one JSON object per line. */
export interface AuditSink {
  write(line: string): void;
  /** Writes out what is buffered and closes a file; stdout stays open. */
  close(): void;
}

/**
 * Appends to `file` (made with its directory if missing), or writes to stdout when no file is
 * given. Lines are written synchronously, so none is lost with the process, but those written in
 * one turn of the event loop leave in one write at its end (and at exit, whatever is left): under
 * load a write call per line cost more than the rest of a verify answer.
 */
export function createAuditSink(file: string | undefined): AuditSink {
  const stream = destination(file === undefined ? { dest: 1, sync: true } : { dest: file, sync: true, append: true, mkdir: true });
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const batch = pending.join('');
    pending = [];
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
