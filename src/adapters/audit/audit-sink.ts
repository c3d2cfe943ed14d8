import { destination } from 'pino';

/** Where audit lines go: one JSON object per line. */
export interface AuditSink {
  write(line: string): void;
  /** Writes out what is buffered and closes a file; stdout stays open. */
  close(): void;
}

/**
 * Appends to `file` (made with its directory if missing), or writes to stdout when no file is
 * given. Each line is written at once (synchronously): an audit line must not be lost with the
 * process, and there is one line per outcome, not per debug message.
 */
export function createAuditSink(file: string | undefined): AuditSink {
  const stream = destination(file === undefined ? { dest: 1, sync: true } : { dest: file, sync: true, append: true, mkdir: true });
  return {
    write: (line) => void stream.write(line),
    close: () => {
      if (file !== undefined) stream.end();
    },
  };
}
