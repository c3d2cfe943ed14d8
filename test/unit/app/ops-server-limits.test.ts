import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { OpsServer } from '../../../src/app/ops-server.js';
import { freePort } from '../../support/processes.js';
import { waitFor } from '../../support/nats.js';

/** A caller that opens a connection and sends a request's first header lines, never the end of them. */
async function stalledCaller(port: number): Promise<{ socket: Socket; closed: () => boolean }> {
  const socket = connect({ host: '127.0.0.1', port });
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

  async function start(limits: { maxConnections: number; headersTimeoutMs: number }): Promise<number> {
    const port = await freePort();
    ops = new OpsServer({ host: '127.0.0.1', port, checks: [], log: pino({ level: 'silent' }), limits });
    await ops.start();
    return port;
  }

  it('closes a connection past its ceiling at once, and one that never finishes its headers after the timeout', async () => {
    const port = await start({ maxConnections: 8, headersTimeoutMs: 500 });
    const callers: Array<{ socket: Socket; closed: () => boolean }> = [];
    for (let i = 0; i < 20; i += 1) {
      const caller = await stalledCaller(port);
      sockets.push(caller.socket);
      callers.push(caller);
    }
    await waitFor(() => callers.filter((caller) => caller.closed()).length >= 12, 2_000, 10);
    expect(callers.slice(0, 8).every((caller) => !caller.closed()), 'the first 8 are still within the timeout').toBe(true);

    await waitFor(() => callers.every((caller) => caller.closed()), 3_000, 20);
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(answer.status).toBe(200);
  });

  it('refuses headers past 4 KiB', async () => {
    const port = await start({ maxConnections: 8, headersTimeoutMs: 5_000 });
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { 'x-padding': 'x'.repeat(5_000) } });
    expect(answer.status).toBe(431);
  });
});
