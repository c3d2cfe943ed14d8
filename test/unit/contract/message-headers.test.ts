import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { deliveredMessage, MAX_HEADER_BYTES, readableHeaders } from '../../../src/contract/message-headers.js';

/** A message as nats.js hands it over: headers decoded when first read, `size()` counting all of it. */
function aMessage(headerBytes: number, read: () => ReturnType<typeof headers> | undefined) {
  const data = new Uint8Array(100);
  return {
    subject: 'reset.verify',
    reply: '_INBOX.x',
    data,
    get headers() {
      return read();
    },
    size: () => 'reset.verify'.length + '_INBOX.x'.length + headerBytes + data.byteLength,
  };
}

describe('readableHeaders', () => {
  it('reads the headers of an ordinary message', () => {
    const h = headers();
    h.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(readableHeaders(aMessage(120, () => h))?.get('traceparent')).toMatch(/^00-/);
  });

  it('takes headers that do not decode as none, rather than throw where nats.js would stop reading', () => {
    const message = aMessage(40, () => {
      throw new Error("' ' is not a valid character in a header name");
    });
    expect(readableHeaders(message)).toBeUndefined();
  });

  it(`does not decode at all past ${MAX_HEADER_BYTES} bytes of subjects and headers`, () => {
    let decoded = false;
    const read = () => {
      decoded = true;
      return headers();
    };
    expect(readableHeaders(aMessage(MAX_HEADER_BYTES, read))).toBeUndefined();
    expect(decoded).toBe(false);
    expect(readableHeaders(aMessage(MAX_HEADER_BYTES - 100, read))).toBeDefined();
  });

  it('looks through a JetStream message to the core one it wraps', () => {
    const core = aMessage(MAX_HEADER_BYTES, () => headers());
    expect(readableHeaders(deliveredMessage({ ...core, msg: core }))).toBeUndefined();
  });
});
