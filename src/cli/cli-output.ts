/** Where the commands write: the process's streams, or a test's buffers. */
export interface CliOutput {
  /** A line (or lines) of the command's result, to stdout. */
  out(text: string): void;
  /** Progress and failures, to stderr, so stdout stays clean for pipes. */
  err(text: string): void;
}

export const processOutput: CliOutput = {
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};
