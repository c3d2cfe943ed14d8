import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/processes.js';

/** The Dockerfile's HEALTHCHECK command, as Docker runs its shell form: `/bin/sh -c`. */
const command = /^HEALTHCHECK\s+(?:--\S+\s+)*CMD\s+(.*)$/m.exec(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8').replace(/\\\n\s*/g, ''))![1]!;
/** Its exit code; run apart from this process, whose event loop serves the probe. */
async function check(env: Record<string, string>): Promise<number | null> {
  const [code] = (await once(spawn('/bin/sh', ['-c', command], { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore', timeout: 10_000 }), 'exit')) as [number | null];
  return code;
}

describe("the image's health check", () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((request, response) => response.writeHead(request.url === '/healthz' ? 200 : 404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('asks /healthz on OPS_HTTP_PORT, not on a fixed 9464', async () => {
    expect(await check({ OPS_HTTP_PORT: String(port) })).toBe(0);
    expect(await check({ OPS_HTTP_PORT: ` ${port} ` })).toBe(0);
  });

  it('fails when nothing answers on that port', async () => {
    expect(await check({ OPS_HTTP_PORT: String(await freePort()) })).toBe(1);
  });

  it('passes without asking when OPS_HTTP_PORT=0 turned the port off', async () => {
    expect(await check({ OPS_HTTP_PORT: '0' })).toBe(0);
  });
});
