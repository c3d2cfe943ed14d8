/**
 * OTLP's trace export request in the shape of its JSON encoding, from either encoding: a test's
 * collector reads what `@opentelemetry/exporter-trace-otlp-proto` sends (the default,
 * `http/protobuf`) as it reads `http/json`. Only the fields the tests look at are decoded
 * (opentelemetry/proto/collector/trace/v1 and trace/v1, common/v1); ids become hex.
 */
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpKeyValue[];
  events?: Array<{ name: string; attributes?: OtlpKeyValue[] }>;
  status?: { code?: number; message?: string };
}
export interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}

const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

interface Field {
  readonly number: number;
  readonly wire: number;
  /** A varint's value (exact up to 2^53: OTLP's counts, enums and the tests' integers), or the bytes of any other wire type. */
  readonly value: number | Buffer;
}

/** The fields of one message, in order (protobuf's wire format: a tag, then the value). */
function* fieldsOf(buffer: Buffer): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let result = 0;
    for (let scale = 1; ; scale *= 128) {
      if (at >= buffer.length) throw new Error('protobuf: a varint runs past the end');
      const byte = buffer[at++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
    }
  };
  const take = (length: number): Buffer => {
    if (at + length > buffer.length) throw new Error('protobuf: a field runs past the end');
    const bytes = buffer.subarray(at, at + length);
    at += length;
    return bytes;
  };
  while (at < buffer.length) {
    const tag = varint();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (wire === WIRE.varint) yield { number, wire, value: varint() };
    else if (wire === WIRE.fixed64) yield { number, wire, value: take(8) };
    else if (wire === WIRE.bytes) yield { number, wire, value: take(varint()) };
    else if (wire === WIRE.fixed32) yield { number, wire, value: take(4) };
    else throw new Error(`protobuf: wire type ${wire} is not one OTLP uses`);
  }
}

const bytes = (field: Field): Buffer => field.value as Buffer;
const text = (field: Field): string => bytes(field).toString('utf8');

/** ExportTraceServiceRequest: 1 resource_spans. */
export function decodeTraceRequest(buffer: Buffer): OtlpRequest {
  const resourceSpans: NonNullable<OtlpRequest['resourceSpans']> = [];
  for (const field of fieldsOf(buffer)) if (field.number === 1) resourceSpans.push(resourceSpansOf(bytes(field)));
  return { resourceSpans };
}

/** ResourceSpans: 1 resource (Resource: 1 attributes), 2 scope_spans (ScopeSpans: 2 spans). */
function resourceSpansOf(buffer: Buffer): NonNullable<OtlpRequest['resourceSpans']>[number] {
  const attributes: OtlpKeyValue[] = [];
  const scopeSpans: Array<{ spans: OtlpSpan[] }> = [];
  for (const field of fieldsOf(buffer)) {
    if (field.number === 1) for (const inner of fieldsOf(bytes(field))) if (inner.number === 1) attributes.push(keyValueOf(bytes(inner)));
    if (field.number === 2) {
      const spans: OtlpSpan[] = [];
      for (const inner of fieldsOf(bytes(field))) if (inner.number === 2) spans.push(spanOf(bytes(inner)));
      scopeSpans.push({ spans });
    }
  }
  return { resource: { attributes }, scopeSpans };
}

/** Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes, 11 events (2 name, 3 attributes), 15 status (2 message, 3 code). */
function spanOf(buffer: Buffer): OtlpSpan {
  const span: OtlpSpan = { traceId: '', spanId: '', name: '', kind: 0, attributes: [], events: [] };
  for (const field of fieldsOf(buffer)) {
    switch (field.number) {
      case 1:
        span.traceId = bytes(field).toString('hex');
        break;
      case 2:
        span.spanId = bytes(field).toString('hex');
        break;
      case 4:
        span.parentSpanId = bytes(field).toString('hex');
        break;
      case 5:
        span.name = text(field);
        break;
      case 6:
        span.kind = field.value as number;
        break;
      case 9:
        span.attributes!.push(keyValueOf(bytes(field)));
        break;
      case 11: {
        const event = { name: '', attributes: [] as OtlpKeyValue[] };
        for (const inner of fieldsOf(bytes(field))) {
          if (inner.number === 2) event.name = text(inner);
          if (inner.number === 3) event.attributes.push(keyValueOf(bytes(inner)));
        }
        span.events!.push(event);
        break;
      }
      case 15: {
        const status: NonNullable<OtlpSpan['status']> = {};
        for (const inner of fieldsOf(bytes(field))) {
          if (inner.number === 2) status.message = text(inner);
          if (inner.number === 3) status.code = inner.value as number;
        }
        span.status = status;
        break;
      }
    }
  }
  return span;
}

/** KeyValue: 1 key, 2 value. */
function keyValueOf(buffer: Buffer): OtlpKeyValue {
  let key = '';
  let value: OtlpAnyValue = {};
  for (const field of fieldsOf(buffer)) {
    if (field.number === 1) key = text(field);
    if (field.number === 2) value = anyValueOf(bytes(field));
  }
  return { key, value };
}

/** AnyValue: 1 string, 2 bool, 3 int (int64), 4 double, 5 array (ArrayValue: 1 values). */
function anyValueOf(buffer: Buffer): OtlpAnyValue {
  const value: OtlpAnyValue = {};
  for (const field of fieldsOf(buffer)) {
    if (field.number === 1) value.stringValue = text(field);
    if (field.number === 2) value.boolValue = field.value !== 0;
    // A negative int64 is ten bytes of two's complement: read as 2^64 less its magnitude.
    if (field.number === 3) value.intValue = (field.value as number) >= 2 ** 63 ? (field.value as number) - 2 ** 64 : (field.value as number);
    if (field.number === 4) value.doubleValue = bytes(field).readDoubleLE(0);
    if (field.number === 5) {
      const values: OtlpAnyValue[] = [];
      for (const inner of fieldsOf(bytes(field))) if (inner.number === 1) values.push(anyValueOf(bytes(inner)));
      value.arrayValue = { values };
    }
  }
  return value;
}
