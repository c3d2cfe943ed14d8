import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { NATS_URL } from '../support/nats.js';
import { TestServer } from '../support/security.js';

// `npm run demo` is `node dist/src/cli/cli.js demo`, the build `npm ci` made (the global setup builds it here).
describe('the demo', () => {
  it('runs one whole reset, telling each step and event with its timing, in under 10 s, and leaves nothing behind', async () => {
    const started = Date.now();
    const run = await runCli(['demo'], {
      PATH: process.env.PATH,
      NATS_URL,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    });
    const elapsed = Date.now() - started;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(elapsed).toBeLessThan(10_000);

    const steps = run.lines.slice(1, -1).map((line) => /^\s*(\d+) ms {2}(.*)$/.exec(line));
    expect(steps.every(Boolean), run.stdout).toBe(true);
    const times = steps.map((m) => Number(m![1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const said = steps.map((m) => m![2]!).join('\n');
    for (const step of [
      /^starting resetd \(subject prefix demo[0-9a-f]{8}\)$/m,
      /^resetd is up: .*; it signs with key [\w-]{43}, which the client checks$/m,
      // The whole id (the README's copy of this output cuts it short).
      /^→ reset\.requested\s+[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s+for u-demo <ada@example\.com>$/m,
      /^← reset\.code\.sent\s+\S+\s+userId=u-demo expiresAt=/m,
      /^✉ the mail is in the outbox: "Your resetd password reset code", code \d{6}$/m,
      /^→ reset\.code\.submitted\s+\S+\s+a wrong code, \d{6}$/m,
      /^← reset\.verification\.failed\s+\S+\s+userId=u-demo reason=invalid_code attemptsRemaining=4$/m,
      /^→ reset\.verify\s+\S+\s+the right code, \d{6}$/m,
      /^← reply\s+\S+\s+status=completed attemptsRemaining=0$/m,
      /^← reset\.completed\s+\S+\s+userId=u-demo completedAt=/m,
      /^resetd stopped \(SIGTERM\); the demo streams, keys and outbox are deleted$/m,
    ]) {
      expect(said).toMatch(step);
    }
    // Every event and reply was checked against the demo's key: no warning that they could not be.
    expect(run.stderr).not.toMatch(/RESETD_UNVERIFIED|not checked/);
    expect(run.lines.at(-1)).toMatch(/^✔ reset \S+: code mailed \d+ ms after the request, a wrong code refused \(4 tries left\), the right one accepted in \d+ ms; code\.sent → verification\.failed → completed; [\d.]+ s in all$/);

    const prefix = /subject prefix (demo[0-9a-f]{8})/.exec(run.stdout)![1]!;
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      await expect(jsm.streams.info(`${prefix.toUpperCase()}_EVENTS`)).rejects.toThrow(/stream not found/);
      await expect(jsm.streams.info(`${prefix.toUpperCase()}_INBOX`)).rejects.toThrow(/stream not found/);
    } finally {
      await nc.close();
    }
  });

  it('runs on a NATS server with little JetStream storage: a throwaway deployment reserves no production-sized streams', async () => {
    // 1 GB of file storage: the 9 GiB a deployment's streams reserve by default would be refused.
    const nats = await TestServer.natsWithConfig('listen: 127.0.0.1:{port}\njetstream { store_dir: "{dir}", max_file_store: 1GB }\n');
    try {
      const run = await runCli(['demo'], { PATH: process.env.PATH, NATS_URL: nats.url('nats'), REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
      expect(run.code, run.stdout + run.stderr).toBe(0);
    } finally {
      await nats.close();
    }
  });

  it('says in one line that NATS cannot be reached, and starts nothing', async () => {
    const run = await runCli(['demo'], { PATH: process.env.PATH, NATS_URL: 'nats://127.0.0.1:1' });
    expect(run.code).toBe(3);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      'resetd: cannot reach NATS at nats://127.0.0.1:1: connection refused; check NATS_URL (or --nats) and that nats-server is running',
    ]);
    expect(run.stdout).not.toMatch(/starting resetd/);
  });
});
