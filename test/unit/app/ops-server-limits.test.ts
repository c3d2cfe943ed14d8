import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { OpsServer } from '../../../src/app/ops-server.js';
import { freePort } from '../../support/processes.js';
import { waitFor } from '../../support/nats.js';

/** A caller that opens a connection and sends a request's first header lines, never the end of them. */
async function stalledCaller(port: number, from = '127.0.0.1'): Promise<{ socket: Socket; closed: () => boolean }> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: from });
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  // Reads what comes (a 408), so that the server's end of the connection is seen.
  socket.resume();
  await once(socket, 'connect');
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  return { socket, closed: () => closed };
}

describe('the operators port, against callers that hold connections', () => {
  let ops: OpsServer | undefined;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await ops?.stop();
  });

  async function start(limits: { maxConnections: number; maxPerAddress: number; headersTimeoutMs: number }): Promise<number> {
    const port = await freePort();
    ops = new OpsServer({ host: '127.0.0.1', port, checks: [], log: pino({ level: 'silent' }), limits });
    await ops.start();
    return port;
  }

  async function stalledCallers(port: number, count: number, from: string) {
    const callers: Array<{ socket: Socket; closed: () => boolean }> = [];
    for (let i = 0; i < count; i += 1) {
      const caller = await stalledCaller(port, from);
      sockets.push(caller.socket);
      callers.push(caller);
    }
    return callers;
  }

  /** A probe from `from`: its status, or the error's code when the connection was closed at once. */
  function probe(port: number, from: string): Promise<number | string> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress: from });
      sockets.push(socket);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? 0) || 'closed'));
      socket.on('connect', () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    });
  }

  it('holds at most a few connections from one address, so a caller that stalls them leaves the probes of another room', async () => {
    const port = await start({ maxConnections: 8, maxPerAddress: 4, headersTimeoutMs: 500 });
    const flood = await stalledCallers(port, 10, '127.0.0.2');
    await waitFor(() => flood.filter((caller) => caller.closed()).length >= 6, 2_000, 10);
    expect(flood.slice(0, 4).every((caller) => !caller.closed()), 'the first 4 are still within the timeout').toBe(true);

    expect(await probe(port, '127.0.0.1')).toBe(200);
    // Its places come back as its connections close.
    await waitFor(() => flood.every((caller) => caller.closed()), 3_000, 20);
    expect(await probe(port, '127.0.0.2')).toBe(200);
  });

  it('closes a connection past its ceiling at once, and one that never finishes its headers after the timeout', async () => {
    const port = await start({ maxConnections: 6, maxPerAddress: 4, headersTimeoutMs: 500 });
    const callers = [...(await stalledCallers(port, 4, '127.0.0.2')), ...(await stalledCallers(port, 4, '127.0.0.3'))];
    await waitFor(() => callers.filter((caller) => caller.closed()).length >= 2, 2_000, 10);
    expect(callers.filter((caller) => !caller.closed())).toHaveLength(6);
    expect(await probe(port, '127.0.0.1'), 'no place is left').not.toBe(200);

    await waitFor(() => callers.every((caller) => caller.closed()), 3_000, 20);
    expect(await probe(port, '127.0.0.1')).toBe(200);
  });

  it('refuses headers past 4 KiB', async () => {
    const port = await start({ maxConnections: 8, maxPerAddress: 4, headersTimeoutMs: 5_000 });
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { 'x-padding': 'x'.repeat(5_000) } });
    expect(answer.status).toBe(431);
  });
});
