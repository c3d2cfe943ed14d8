import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NATS_URL, TestClient, uniquePrefix, waitFor } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';

/** A server on loopback that takes connections; `sockets` are those open now. */
async function listen(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, sockets };
}

/** Takes TCP connections, reads what comes and never says a word: a NATS or Redis server that hangs. */
function silentServer() {
  return listen((socket) => socket.resume());
}

/**
 * The real NATS server behind a proxy that stops passing its answers on once the client asks
 * about a stream: a server that hangs while the service sets up its streams.
 */
async function natsHangingAtStreamSetup() {
  const target = new URL(NATS_URL.split(',')[0]!.replace(/^nats:/, 'http:'));
  const proxy = { hung: false };
  const listening = await listen((client) => {
    const server = createConnection({ host: target.hostname, port: Number(target.port) });
    server.on('error', () => client.destroy());
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes('$JS.API.STREAM.')) proxy.hung = true;
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (!proxy.hung) client.write(chunk);
    });
  });
  return Object.assign(proxy, listening);
}

function close({ server, sockets }: { server: Server; sockets: Set<Socket> }): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Sends `signal` and resolves with the exit code and how long the exit took. */
async function stopTimed(service: ServiceProcess, signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
  const signalledAt = Date.now();
  const code = await service.stop(signal);
  return { code, ms: Date.now() - signalledAt };
}

const STOPPED_DURING_START = /stopped during start/;
const STACK_LINE = /^\s+at /;

describe('SIGTERM or SIGINT during the start', () => {
  const prefix = uniquePrefix('stopstart');
  const env = { RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix };
  const running: ServiceProcess[] = [];
  const start = async (extra: Record<string, string> = {}) => {
    const service = await ServiceProcess.start({ ...env, ...extra }, { waitForStart: false });
    running.push(service);
    return service;
  };

  afterEach(async () => {
    // A service that did not stop when asked must not outlive its test.
    await Promise.all(running.splice(0).map((service) => service.stop('SIGKILL')));
  });

  afterAll(async () => {
    // Closing a client deletes the prefix's streams.
    await (await TestClient.connect(prefix)).close();
  });

  it.each([
    ['SIGTERM', 'NATS', 'NATS_URL', 'nats'],
    ['SIGINT', 'NATS', 'NATS_URL', 'nats'],
    ['SIGTERM', 'Redis', 'REDIS_URL', 'redis'],
  ] as const)('%s while connecting to a %s server that never answers: exits 0 at once, says so, no stack', async (signal, _server, variable, scheme) => {
    const silent = await silentServer();
    try {
      const service = await start({ [variable]: `${scheme}://127.0.0.1:${silent.port}` });
      await waitFor(() => silent.sockets.size > 0, 20_000, 20);

      const { code, ms } = await stopTimed(service, signal);
      expect(code, service.output.join('\n')).toBe(0);
      // The NATS client alone would wait 20 s for the server's first words.
      expect(ms).toBeLessThan(3_000);
      expect(service.output.filter((line) => STOPPED_DURING_START.test(line))).toEqual([expect.stringContaining(signal)]);
      expect(service.output.filter((line) => STACK_LINE.test(line))).toEqual([]);
    } finally {
      await close(silent);
    }
  });

  it('SIGTERM right after the process starts, while its modules load: exits 0 and says so', async () => {
    const service = await start();
    // Before node runs the first line of JavaScript (100-200 ms here, under load) no program can
    // catch a signal; loading the modules then takes most of a second, which is where this lands.
    await sleep(400);

    expect(await service.stop('SIGTERM'), service.output.join('\n')).toBe(0);
    expect(service.output.filter((line) => STOPPED_DURING_START.test(line))).toHaveLength(1);
    expect(service.output.join('\n')).not.toMatch(/resetd started/);
  });

  it('SIGTERM, then SIGINT, while a NATS server that stopped answering holds the stream set-up: exits 0 within a few seconds, once', async () => {
    const nats = await natsHangingAtStreamSetup();
    try {
      const service = await start({ NATS_URL: `nats://127.0.0.1:${nats.port}` });
      await waitFor(() => nats.hung, 20_000, 20);

      const signalledAt = Date.now();
      service.child.kill('SIGTERM');
      await sleep(200);
      const { code } = await stopTimed(service, 'SIGINT');
      expect(code, service.output.join('\n')).toBe(0);
      // Nothing was in flight: the stop does not wait for a server that does not answer.
      expect(Date.now() - signalledAt).toBeLessThan(6_000);
      expect(service.output.filter((line) => STOPPED_DURING_START.test(line))).toEqual([expect.stringContaining('SIGTERM')]);
      expect(service.output.join('\n')).not.toMatch(/resetd started/);
      expect(service.output.filter((line) => STACK_LINE.test(line))).toEqual([]);
    } finally {
      await close(nats);
    }
  });
});
