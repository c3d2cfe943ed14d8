import type { Msg, MsgHdrs } from '@nats-io/transport-node';

/**
 * What a message may spend on its subject, reply subject and headers before its headers are not
 * read at all. Real ones (`traceparent`, `tracestate`, `Nats-Msg-Id`, `Resetd-Signature`) take
 * well under 2 KiB.
 */
export const MAX_HEADER_BYTES = 4_096;

/** A message as nats.js delivers it: `size()` (its class's, not in the `Msg` type) counts all of it. */
type Delivered = Pick<Msg, 'subject' | 'reply' | 'data' | 'headers'> & { readonly size?: () => number };

/**
 * A message's headers, or undefined when it has none worth reading. nats.js decodes them when they
 * are first read: a header name with a byte it does not allow (a space, a non-ASCII byte) throws,
 * and inside a subscription callback that throw stops the client's socket reader for good; and the
 * decoding takes time quadratic in the number of lines (a quarter of a megabyte of them, a minute).
 * So headers past MAX_HEADER_BYTES are not decoded, and headers that do not decode count as none:
 * the message is handled as one without a trace context or a signature.
 */
export function readableHeaders(msg: Delivered): MsgHdrs | undefined {
  if (typeof msg.size === 'function' && msg.size() - msg.data.byteLength > MAX_HEADER_BYTES) return undefined;
  try {
    return msg.headers;
  } catch {
    return undefined;
  }
}

/** The core message a JetStream one wraps (nats.js's `JsMsgImpl.msg`), for `readableHeaders`; else the message itself. */
export function deliveredMessage<T extends Delivered>(jsMsg: T): Delivered {
  return (jsMsg as T & { readonly msg?: Delivered }).msg ?? jsMsg;
}
