import { propagation, ROOT_CONTEXT, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { Match, type MsgHdrs } from '@nats-io/transport-node';
import { activeContext } from './message-context.js';

/** W3C trace context (`traceparent`, `tracestate`) read from NATS headers; header names in any case. */
const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (headers) => headers?.keys() ?? [],
  get: (headers, key) => {
    const value = headers?.get(key, Match.IgnoreCase);
    return value === undefined || value === '' ? undefined : value;
  },
};

const setter: TextMapSetter<MsgHdrs> = {
  set: (headers, key, value) => headers.set(key, value),
};

/**
 * The context a message's producer sent along, to be the parent of the span that handles it. A
 * message without one starts a trace of its own, not a child of whatever happens to be active.
 */
export function contextFromHeaders(headers: MsgHdrs | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, headers, getter);
}

/** Writes the active (or given) context into outbound headers, so the consumer continues the trace. */
export function injectIntoHeaders(headers: MsgHdrs, from: Context = activeContext()): void {
  propagation.inject(from, headers, setter);
}
