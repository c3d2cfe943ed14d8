import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/reset-client.js';
import { runCli } from '../support/cli.js';
import { uniquePrefix } from '../support/nats.js';
import { freePort } from '../support/processes.js';
import { oneLine } from '../support/secured-deployment.js';
import { leaks, TestServer } from '../support/security.js';
import { runServiceToExit } from '../support/service-process.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

/** Each character that URLs treat specially. */
const SPECIALS = ['/', '#', '?', '@', ':', '%', '+', '='];
/** Unencoded, these end the host part early or make a bad escape: the URL does not parse. */
const UNPARSED = new Set(['/', '#', '?', '%']);
const passwordWith = (specials: string) => `Alpha7x${specials}Omega9y`;
/** The password whole, percent-encoded, and each half: no part of it may appear anywhere. */
const partsOf = (password: string) => [password, encodeURIComponent(password), 'Alpha7x', 'Omega9y'];
/** A failure is one line, never an uncaught error's stack. */
const stackFrames = (texts: readonly string[]) => texts.flatMap((text) => text.split('\n')).filter((line) => /^\s+at /.test(line));

/**
 * Every variable that takes a URL, and `resetd status`, fed passwords holding each special
 * character: unencoded (the start stops with one line naming the variable, or the URL parses and
 * the start goes on) and percent-encoded against servers that want them. All output is searched.
 * Which variable says what is checked for each one in test/unit/app/url-settings.test.ts.
 */
describe('a password in any URL is never written out, however it is spelled', () => {
  let closedPort: number;
  const urls = (port: number, userinfo: string) => ({
    NATS_URL: `nats://rt:${userinfo}@127.0.0.1:${port}`,
    REDIS_URL: `redis://:${userinfo}@127.0.0.1:${port}`,
    SMTP_URL: `smtp://rt:${userinfo}@127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://rt:${userinfo}@127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://rt:${userinfo}@127.0.0.1:${port}/v1/traces`,
  });

  beforeAll(async () => {
    closedPort = await freePort();
  });

  it.each(Object.keys(urls(0, '')))('%s with every special character unencoded: one line naming it, exit 2', async (variable) => {
    const password = passwordWith(SPECIALS.join(''));
    const run = await runServiceToExit({ [variable]: urls(closedPort, password)[variable as keyof ReturnType<typeof urls>] });
    expect(run.code, run.stderr).toBe(2);
    expect(oneLine(run.stderr)).toMatch(new RegExp(`^resetd: ${variable} must parse as a URL: percent-encode special characters`));
    expect(leaks([run.stdout, run.stderr], partsOf(password))).toEqual([]);
  });

  it.each(SPECIALS)('every URL variable with %s in the password unencoded, and `resetd status` too: no part of it anywhere', async (special) => {
    const password = passwordWith(special);
    const all = urls(closedPort, password);
    const run = await runServiceToExit(all);
    const status = await runCli(['status'], { PATH: process.env.PATH, NATS_URL: all.NATS_URL, REDIS_URL: all.REDIS_URL });
    const output = [run.stdout, run.stderr, status.stdout, status.stderr];
    expect(leaks(output, partsOf(password))).toEqual([]);
    expect(stackFrames(output)).toEqual([]);
    // Not parsing stops both: each names every such variable it reads, one line each (a start reports
    // all its configuration problems at once, the CLI those of its own); parsing, they go on to find no server.
    if (UNPARSED.has(special)) {
      expect([run.code, status.code]).toEqual([2, 2]);
      const named = (stderr: string) => stderr.split('\n').filter(Boolean).map((line) => /^resetd: (\w+) must parse as a URL: percent-encode/.exec(line)?.[1]);
      expect(named(run.stderr).sort()).toEqual(Object.keys(all).sort());
      expect(named(status.stderr).sort()).toEqual(['NATS_URL', 'REDIS_URL']);
    } else {
      expect([run.code, status.code]).toEqual([1, 3]);
      expect(oneLine(run.stderr)).toBe(`resetd: cannot reach Redis at redis://:***@127.0.0.1:${closedPort}: connect ECONNREFUSED 127.0.0.1:${closedPort}; check REDIS_URL and that redis-server is running`);
      expect(oneLine(status.stderr)).toMatch(new RegExp(`^resetd: cannot reach NATS at nats://rt:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}`));
    }
  });

  it('stops on a base64 Redis password with one line, exit 2', async () => {
    const run = await runServiceToExit({ REDIS_URL: 'redis://:Zm9v/YmFyQmF6+Q==@127.0.0.1:6379' });
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toBe(
      'resetd: REDIS_URL must parse as a URL: percent-encode special characters in its user and password (/ as %2F, # as %23, ? as %3F, % as %25) (got "redis://:***@127.0.0.1:6379")',
    );
    expect(leaks([run.stdout, run.stderr], ['Zm9v', 'YmFy'])).toEqual([]);
  });

  describe('percent-encoded, against servers that want the password', () => {
    const password = passwordWith(SPECIALS.join(''));
    const encoded = encodeURIComponent(password);
    let nats: TestServer;
    let redis: TestServer;
    let sink: SmtpSink;

    beforeAll(async () => {
      nats = await TestServer.nats(['--user', 'rt', '--pass', password]);
      redis = await TestServer.redis(['--requirepass', password]);
      sink = await startSmtpSink();
    });

    afterAll(async () => {
      await Promise.all([nats.close(), redis.close()]);
      await sink.stop();
    });

    it('logs in with it, mails a code, and neither the service (its OTLP exporter failing) nor `resetd status` writes it', async () => {
      const prefix = uniquePrefix('urlsecrets');
      const { NATS_URL, REDIS_URL, SMTP_URL, OTEL_EXPORTER_OTLP_ENDPOINT } = urls(0, encoded);
      const env = {
        RESET_SUBJECT_PREFIX: prefix,
        REDIS_KEY_PREFIX: prefix,
        NATS_URL: NATS_URL.replace(':0', `:${nats.port}`),
        REDIS_URL: REDIS_URL.replace(':0', `:${redis.port}`),
        SMTP_URL: SMTP_URL.replace(':0', `:${new URL(sink.url).port}`),
        // A collector that is not there: the exporter's failure is logged, and must not name the URL's password.
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: OTEL_EXPORTER_OTLP_ENDPOINT.replace(':0', `:${closedPort}`),
        OTEL_BSP_SCHEDULE_DELAY: '50',
        LOG_LEVEL: 'debug',
      };
      const service = await ServiceProcess.start(env);
      const client = await connect({ servers: env.NATS_URL, subjectPrefix: prefix });
      try {
        const email = `${prefix}@example.com`;
        await client.requestReset({ userId: `u-${prefix}`, email });
        await sink.waitForMail(email);
        await service.waitForLog(/"component":"otel".*ECONNREFUSED/, 30_000);
      } finally {
        await client.close();
      }
      expect(await service.stop()).toBe(0);
      // NATS and Redis refuse any other password; the sink takes any, so its record shows SMTP_URL's
      // password was decoded, not sent as written.
      expect(sink.logins.length).toBeGreaterThan(0);
      expect(sink.logins).toEqual(sink.logins.map(() => ({ user: 'rt', pass: password })));

      const status = await runCli(['status'], { PATH: process.env.PATH, NATS_URL: env.NATS_URL, REDIS_URL: env.REDIS_URL, RESET_SUBJECT_PREFIX: prefix });
      expect(status.code, status.stderr).toBe(0);
      expect(status.lines).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^nats\\s+nats://rt:\\*\\*\\*@127\\.0\\.0\\.1:${nats.port}\\s`)),
          expect.stringMatching(new RegExp(`^redis\\s+redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}\\s+reachable`)),
        ]),
      );
      const output = [...service.output, status.stdout, status.stderr];
      expect(leaks(output, partsOf(password))).toEqual([]);
      expect(stackFrames(output)).toEqual([]);
    });
  });
});
