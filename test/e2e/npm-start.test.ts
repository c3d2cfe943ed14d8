import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NATS_URL, TestClient, uniquePrefix, waitFor } from '../support/nats.js';
import { track } from '../support/processes.js';
import { TEST_OTP_SECRET } from '../support/service-process.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The pids of every process below `pid`, from /proc (Linux). */
function descendants(pid: number): number[] {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/** CPU time a process has used, in ms, from /proc/<pid>/stat (utime and stime, in the usual 100 Hz ticks). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `npm start` in the checkout, as a supervisor runs it: it knows only npm's pid. `env` is added to its environment. */
function npmStart(prefix: string, env: Record<string, string> = {}) {
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NATS_URL,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      RESET_SUBJECT_PREFIX: prefix,
      OTP_SECRET: TEST_OTP_SECRET,
      OPS_HTTP_PORT: '0',
      OTEL_TRACES_EXPORTER: 'none',
      MAIL_OUTBOX_DIR: join(tmpdir(), prefix),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null }));
  return { child, exited, output: () => output };
}

describe('npm start', () => {
  const prefix = uniquePrefix('npmstart');

  afterAll(async () => {
    // Closing a client deletes the prefix's streams.
    await (await TestClient.connect(prefix)).close();
    await rm(join(tmpdir(), prefix), { recursive: true, force: true });
  });

  it('compiles nothing: a restart of an installed checkout is ready within 5 s', async () => {
    // The first start makes the streams; the second is a restart.
    for (const round of ['first', 'restart']) {
      const startedAt = Date.now();
      const run = npmStart(prefix);
      await waitFor(() => /"msg":"resetd started"/.test(run.output()) || run.child.exitCode !== null, 30_000, 50);
      const readyMs = Date.now() - startedAt;
      expect(run.output(), run.output()).toMatch(/"msg":"resetd started"/);
      // Wall time depends on what else the machine runs (2 cores shared by many test runs here);
      // the CPU time npm and the service took to get ready does not, and a compile alone takes more.
      const tree = [run.child.pid!, ...descendants(run.child.pid!)];
      const usedMs = tree.reduce((sum, pid) => sum + cpuMs(pid), 0);
      console.info(`npm start, ${round}: ready after ${readyMs} ms, ${usedMs} ms of CPU`);
      if (round === 'restart') expect(usedMs).toBeLessThan(5_000);
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  it('stops gracefully on SIGTERM to npm’s pid within 10 s, leaving no process behind', async () => {
    const run = npmStart(prefix);
    await waitFor(() => /"msg":"resetd started"/.test(run.output()) || run.child.exitCode !== null, 30_000, 50);
    const below = descendants(run.child.pid!);
    expect(below.length, 'the service runs below npm').toBeGreaterThan(0);

    const signalledAt = Date.now();
    process.kill(run.child.pid!, 'SIGTERM');
    const exit = await run.exited;
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(run.output()).toMatch(/"msg":"draining"/);
    expect(run.output()).toMatch(/"msg":"stopped"/);
    expect(below.filter(alive)).toEqual([]);
  });

  it('stops on SIGTERM to npm’s pid during the start too, with NATS not answering: exit 0 at once, leaving no process behind', async () => {
    // Takes the connection and never answers: the start waits there (nats.js alone would for 20 s).
    const silentNats = createServer((socket) => socket.resume());
    silentNats.listen(0, '127.0.0.1');
    await once(silentNats, 'listening');
    const asked = once(silentNats, 'connection');
    try {
      const run = npmStart(prefix, { NATS_URL: `nats://127.0.0.1:${(silentNats.address() as { port: number }).port}` });
      await Promise.race([asked, run.exited]);
      const below = descendants(run.child.pid!);

      const signalledAt = Date.now();
      process.kill(run.child.pid!, 'SIGTERM');
      const exit = await run.exited;
      expect(Date.now() - signalledAt).toBeLessThan(3_000);
      expect(exit, run.output()).toEqual({ code: 0, signal: null });
      expect(run.output()).toMatch(/"signal":"SIGTERM","msg":"stopped during start"/);
      expect(run.output()).not.toMatch(/\n\s+at /);
      expect(below.filter(alive)).toEqual([]);
    } finally {
      silentNats.close();
    }
  });
});
