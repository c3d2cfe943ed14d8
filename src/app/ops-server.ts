import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';

/** One part the service needs to do its work; `ready()` is cheap and never waits. */
export interface ReadinessCheck {
  readonly name: string;
  ready(): boolean;
  /** Why it is not ready, when the part knows more than its name says. */
  reason?(): string | undefined;
}

export interface OpsServerOptions {
  readonly host: string;
  /** 0 turns the server off. */
  readonly port: number;
  readonly checks: readonly ReadinessCheck[];
  readonly serveMetrics?: (request: IncomingMessage, response: ServerResponse) => void;
  readonly log: Logger;
  /** Bounds on what callers may hold; the defaults suit probes and scrapes (tests shorten them). */
  readonly limits?: OpsServerLimits;
}

export interface OpsServerLimits {
  /** Connections open at once; past it a new one is closed at once. */
  readonly maxConnections: number;
  /** Connections open at once from one address: one caller cannot take the places the kubelet's probes and Prometheus need. */
  readonly maxPerAddress: number;
  /** How long a caller has to send a request's headers, from its connection; checked every tenth of it. */
  readonly headersTimeoutMs: number;
}

/**
 * Whoever reaches the port could otherwise hold sockets open with headers never finished (Node
 * waits a minute for them, and lets 16 KiB of them build up each), thousands at once: enough to
 * take the file descriptors the mail, NATS and Redis need, or the memory the pod is allowed. A
 * probe or a scrape sends its few hundred bytes at once, and Prometheus and the kubelet hold a
 * handful of connections each; a caller from one address cannot crowd them out (a failed liveness
 * probe restarts the pod).
 */
const DEFAULT_LIMITS: OpsServerLimits = { maxConnections: 256, maxPerAddress: 16, headersTimeoutMs: 5_000 };
const MAX_HEADER_BYTES = 4_096;

/**
 * The operators' port: `/healthz` (the process runs), `/readyz` (every check passes, else 503 with
 * the parts that do not, and why where known) and `/metrics` (Prometheus text). Read-only: no reset is driven here.
 */
export class OpsServer {
  private server: Server | undefined;

  constructor(private readonly options: OpsServerOptions) {}

  /** Where it listens, once started; undefined when turned off. */
  get address(): AddressInfo | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address : undefined;
  }

  async start(): Promise<void> {
    const { host, port, log } = this.options;
    if (this.server) return;
    if (port === 0) {
      // Said once, so that an operator who finds no /metrics sees it was asked for.
      log.info('ops HTTP off (OPS_HTTP_PORT=0): no /healthz, /readyz or /metrics');
      return;
    }
    const limits = this.options.limits ?? DEFAULT_LIMITS;
    const server = createServer(
      {
        maxHeaderSize: MAX_HEADER_BYTES,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.headersTimeoutMs,
        connectionsCheckingInterval: Math.max(10, limits.headersTimeoutMs / 10),
      },
      (request, response) => this.answer(request, response),
    );
    server.maxConnections = limits.maxConnections;
    server.on('connection', limitPerAddress(limits.maxPerAddress));
    // Scrapes and probes are short; an idle keep-alive socket must not hold the stop up.
    server.keepAliveTimeout = Math.min(5_000, limits.headersTimeoutMs);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = this.address;
    log.info({ host: address?.address, port: address?.port }, `ops HTTP listening on http://${formatHost(address?.address ?? host)}:${address?.port ?? port} (/healthz, /readyz, /metrics)`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(response, 405, { error: 'only GET and HEAD are served' }, { allow: 'GET, HEAD' });
    }
    switch (path) {
      case '/healthz':
        return send(response, 200, { status: 'ok' });
      case '/readyz': {
        const failing = runChecks(this.options.checks).filter((check) => !check.ready).map((check) => check.name);
        if (failing.length === 0) return send(response, 200, { status: 'ready' });
        const reasons = Object.fromEntries(
          this.options.checks.flatMap((check) => {
            const reason = failing.includes(check.name) ? check.reason?.() : undefined;
            return reason === undefined ? [] : [[check.name, reason]];
          }),
        );
        return send(response, 503, { status: 'not ready', failing, ...(Object.keys(reasons).length > 0 ? { reasons } : {}) });
      }
      case '/metrics':
        if (this.options.serveMetrics) return this.options.serveMetrics(request, response);
        return send(response, 404, { error: 'metrics are not kept' });
      default:
        return send(response, 404, { error: 'not found; try /healthz, /readyz or /metrics' });
    }
  }
}

/** A connection listener that closes a connection past `max` open from its address. */
function limitPerAddress(max: number): (socket: Socket) => void {
  const open = new Map<string, number>();
  return (socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = open.get(address)! - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  };
}

/** Each check's verdict now, a check that throws counted as failing: what `/readyz` and its gauge report. */
export function runChecks(checks: readonly ReadinessCheck[]): { name: string; ready: boolean }[] {
  return checks.map((check) => ({ name: check.name, ready: safely(check) }));
}

function safely(check: ReadinessCheck): boolean {
  try {
    return check.ready();
  } catch {
    return false;
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

const formatHost = (host: string) => (host.includes(':') ? `[${host}]` : host);
