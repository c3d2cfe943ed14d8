import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/cli-error.js';
import { ProcessOutput, stdoutFailure } from '../../../src/cli/cli-output.js';

/** A stdout whose every write fails as a closed pipe or a full disk does. */
function failingWith(code: string): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString('utf8'));
      callback(Object.assign(new Error(`write ${code}`), { code }));
    },
  });
  return { stream, writes };
}

describe('ProcessOutput', () => {
  it('ends the output, not the process, when the reader of stdout goes away; EPIPE is no failure', async () => {
    const { stream, writes } = failingWith('EPIPE');
    const output = new ProcessOutput(stream, new PassThrough());
    output.out('first');
    await once(output.closed, 'abort');
    output.out('second');
    expect(writes).toEqual(['first\n']);
    expect(output.closed.reason).toMatchObject({ code: 'EPIPE' });
    expect(stdoutFailure(output.closed.reason)).toBeUndefined();
  });

  it('makes any other write error one line to tell, exit 1', async () => {
    const { stream } = failingWith('ENOSPC');
    const output = new ProcessOutput(stream, new PassThrough());
    output.out('lost');
    await once(output.closed, 'abort');
    expect(stdoutFailure(output.closed.reason)).toMatchObject({ name: 'CliError', exitCode: EXIT.failed, message: 'cannot write to standard output: write ENOSPC' });
  });
});
