import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/app/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: createLogger('info', 'resetd', destination), lines };
}

describe('the log', () => {
  it("keeps a failed Redis command's name and drops its arguments: a script's hold code digests and user ids", () => {
    const { log, lines } = capture();
    const failed = Object.assign(new Error('Connection is closed.'), { command: { name: 'evalsha', args: ['9a29', '1', 'reset:reset:{r-1}', 'r-1', 'digest-of-the-code'] } });

    log.warn({ err: failed }, 'message will be redelivered');
    log.warn({ err: new Error('verify failed', { cause: failed }) }, 'verify answered unavailable');

    const written = lines.join('\n');
    expect(written).toContain('"name":"evalsha"');
    expect(written).not.toContain('digest-of-the-code');
    expect(written).not.toContain('r-1');
  });
});
