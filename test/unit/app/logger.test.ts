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

  it("keeps an error's code, which says why a server failed, and drops anything under code that could be a one-time code", () => {
    const { log, lines } = capture();
    log.warn({ err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }) }, 'redis lost');
    log.warn({ err: Object.assign(new Error('no responders'), { code: 503 }) }, 'nats');
    log.warn({ submission: { resetId: 'r-1', code: '482913' }, err: Object.assign(new Error('x'), { code: 4829 }) }, 'by mistake');
    log.warn({ code: 'A48291', mail: { code: 482 }, typed: { code: 'ABCDEF' } }, 'by mistake too');

    const written = lines.join('\n');
    expect(written).toContain('"code":"ECONNREFUSED"');
    expect(written).toContain('"code":503');
    expect(written).not.toMatch(/482913|4829|A48291|482\b|ABCDEF/);
  });
});
