import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequest, type OtlpAnyValue, type OtlpKeyValue, type OtlpRequest } from './otlp-protobuf.js';

/** One span as received, its OTLP attribute lists turned into plain objects. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP's numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly events: ReadonlyArray<{ name: string; attributes: Record<string, unknown> }>;
  readonly status: { code?: number; message?: string };
  readonly resource: Record<string, unknown>;
}

const PROTOBUF = 'application/x-protobuf';
const KNOWN_TYPES = [PROTOBUF, 'application/json'];

export const OTLP_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

/**
 * A collector for tests: takes OTLP/HTTP on `POST /v1/traces`, protobuf (resetd's default,
 * `http/protobuf`) or JSON (`http/json`), on 127.0.0.1 and a free port.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Every request body as received (decompressed), as text, for searches over everything exported. */
  readonly bodies: string[] = [];
  /** Each request's content type and number of spans, in order. */
  readonly requests: Array<{ readonly contentType: string; readonly spans: number }> = [];

  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        const raw = Buffer.concat(chunks);
        const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const type = String(request.headers['content-type']);
        if (request.url !== '/v1/traces' || !KNOWN_TYPES.includes(type)) {
          response.writeHead(415).end();
          return;
        }
        if (type === PROTOBUF) {
          // Strings are UTF-8 in protobuf as in JSON, and decoding leaves them whole beside the
          // binary fields: a search for a secret's text finds it in either.
          this.bodies.push(body.toString('utf8'));
          this.take(type, decodeTraceRequest(body));
          // An empty ExportTraceServiceResponse.
          response.writeHead(200, { 'content-type': PROTOBUF }).end();
        } else {
          const text = body.toString('utf8');
          this.bodies.push(text);
          this.take(type, JSON.parse(text) as OtlpRequest);
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        }
      } catch (error) {
        response.writeHead(400).end(String(error));
      }
    });
  });

  private constructor() {}

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  spansOf(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  async waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs = 15_000): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.spans)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for spans; have ${this.spans.map((s) => s.name).join(', ') || 'none'}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this.spans;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private take(contentType: string, request: OtlpRequest): void {
    const before = this.spans.length;
    for (const resourceSpans of request.resourceSpans ?? []) {
      const resource = attributesOf(resourceSpans.resource?.attributes);
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          this.spans.push({
            traceId: hex(span.traceId),
            spanId: hex(span.spanId),
            parentSpanId: hex(span.parentSpanId),
            name: span.name,
            kind: span.kind,
            attributes: attributesOf(span.attributes),
            events: (span.events ?? []).map((event) => ({ name: event.name, attributes: attributesOf(event.attributes) })),
            status: span.status ?? {},
            resource,
          });
        }
      }
    }
    this.requests.push({ contentType, spans: this.spans.length - before });
  }
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

function valueOf(value: OtlpAnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

/** OTLP JSON ids are hex; accept base64 too, as some encoders send it. */
function hex(id: string | undefined): string {
  if (!id) return '';
  return /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}
