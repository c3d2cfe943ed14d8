import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BreakerState } from '../../../src/adapters/resilience/mail-breaker.js';
import { ResilientMailer, type MailResilienceOptions, type MailServer, type ServerCheck } from '../../../src/adapters/resilience/resilient-mailer.js';
import { SmtpConfigurationError } from '../../../src/adapters/smtp/smtp-failure.js';
import { MailUnavailableError, RecipientDeferredError } from '../../../src/domain/errors.js';
import type { CodeMail } from '../../../src/domain/mail.js';
import { RecordingMailer } from '../../support/fakes/recording-mailer.js';

const options: MailResilienceOptions = { attempts: 3, initialBackoffMs: 200, maxBackoffMs: 2_000, breakerThreshold: 5, halfOpenAfterMs: 5_000 };

const aMail = (overrides: Partial<CodeMail> = {}): CodeMail => ({
  kind: 'code',
  resetId: 'r-1',
  to: 'user@example.com',
  code: '123456',
  expiresAt: Date.parse('2030-01-07T09:10:00.000Z'),
  lifetimeMinutes: 10,
  ...overrides,
});

/** A resilient mailer over a RecordingMailer, with its log lines and breaker transitions. */
function makeMailer(overrides: Partial<MailResilienceOptions> = {}, checkServer?: ServerCheck, name: MailServer['name'] = 'SMTP') {
  const server = new RecordingMailer();
  const logLines: Array<{ level: number; msg: string; cause?: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  const mailer = new ResilientMailer(server, { ...options, ...overrides }, pino({ level: 'info' }, sink), { name, check: checkServer });
  const transitions: BreakerState[] = [];
  mailer.breaker.onStateChange((state) => transitions.push(state));
  return { server, mailer, logLines, transitions, messages: () => logLines.map((line) => line.msg) };
}

/** Sends and lets every retry wait elapse on the fake clock; resolves with the settled result. */
async function sendThroughTimers(mailer: ResilientMailer, mail: CodeMail = aMail()) {
  const result = mailer.send(mail).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await vi.runAllTimersAsync();
  return result;
}

/** Opens the breaker: `threshold` sends that each fail once (no retries). */
async function openBreaker(world: ReturnType<typeof makeMailer>, threshold = options.breakerThreshold) {
  world.server.failUntilRecovered();
  for (let i = 0; i < threshold; i += 1) await expect(world.mailer.send(aMail())).rejects.toBeInstanceOf(MailUnavailableError);
}

describe('ResilientMailer', () => {
  beforeEach(() => {
    // cockatiel waits with setTimeout and times the breaker with Date.now(): both are faked.
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('retries', () => {
    it('retries a transient failure and the mail is accepted once', async () => {
      const world = makeMailer();
      world.server.failNext(2);

      expect(await sendThroughTimers(world.mailer)).toEqual({ value: { kind: 'accepted' } });
      expect(world.server.sent).toHaveLength(1);
      expect(world.mailer.breaker.state).toBe('closed');
    });

    it('gives up after the configured tries with MailUnavailableError, leaving the rest to redelivery', async () => {
      const world = makeMailer();
      world.server.failNext(4);

      const result = await sendThroughTimers(world.mailer);
      expect(result).toEqual({ error: expect.any(MailUnavailableError) });
      // Three tries were spent: one failure is left for the next send, which then succeeds.
      expect(await sendThroughTimers(world.mailer)).toEqual({ value: { kind: 'accepted' } });
      expect(world.server.sent).toHaveLength(1);
    });

    it('waits between tries, at least half the doubling backoff and never past the maximum', async () => {
      const world = makeMailer({ attempts: 4, initialBackoffMs: 200, maxBackoffMs: 600 });
      world.server.failNext(3);
      let settled = false;
      void world.mailer.send(aMail()).then(() => (settled = true));

      // Waits of 100–200, 200–400 and 300–600 ms: at least 600 ms in all, at most 1,200.
      await vi.advanceTimersByTimeAsync(599);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(601);
      expect(settled).toBe(true);
      expect(world.server.sent).toHaveLength(1);
    });

    it('passes a permanent refusal through at once, untried again, and it does not count against the server', async () => {
      const world = makeMailer({ breakerThreshold: 2 });
      world.server.refuse('gone@example.com');

      for (let i = 0; i < 3; i += 1) {
        await expect(world.mailer.send(aMail({ to: 'gone@example.com' }))).resolves.toMatchObject({ kind: 'refused' });
      }
      expect(world.server.refused).toHaveLength(3);
      expect(world.mailer.breaker.state).toBe('closed');
    });

    it('logs a permanent refusal once, with the server reply and the address masked', async () => {
      const world = makeMailer();
      world.server.refuse('gone.person@example.com', '550 5.1.1 <gone.person@example.com>: no such user');

      await world.mailer.send(aMail({ resetId: 'r-gone', to: 'gone.person@example.com' }));

      expect(world.logLines).toEqual([
        expect.objectContaining({ level: 40, msg: 'SMTP server refused the mail for good', resetId: 'r-gone', to: 'g***@example.com', reply: '550 5.1.1 <g***@example.com>: no such user' }),
      ]);
      expect(JSON.stringify(world.logLines)).not.toContain('gone.person');
    });

    it('retries a deferral for one recipient with backoff, then gives it back as RecipientDeferredError', async () => {
      const world = makeMailer({ attempts: 3 });
      world.server.defer('greylisted@example.com');
      const started = Date.now();

      const result = await sendThroughTimers(world.mailer, aMail({ to: 'greylisted@example.com' }));

      expect(result).toEqual({ error: expect.any(RecipientDeferredError) });
      // Two waits of at least half of 200 and 400 ms: the tries were spread out, not fired at once.
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });

    it('does not retry an error that is not a transient mail failure', async () => {
      const server = { send: vi.fn().mockRejectedValue(new TypeError('bug')) };
      const mailer = new ResilientMailer(server, options, pino({ level: 'silent' }));

      await expect(mailer.send(aMail())).rejects.toBeInstanceOf(TypeError);
      expect(server.send).toHaveBeenCalledTimes(1);
    });
  });

  describe('the circuit breaker', () => {
    it("never opens on one recipient's deferrals, however many: they are the server answering", async () => {
      const world = makeMailer({ attempts: 1, breakerThreshold: 2 });
      world.server.defer('greylisted@example.com');

      for (let i = 0; i < 10; i += 1) {
        await expect(world.mailer.send(aMail({ to: 'greylisted@example.com' }))).rejects.toBeInstanceOf(RecipientDeferredError);
      }
      await expect(world.mailer.send(aMail())).resolves.toEqual({ kind: 'accepted' });
      expect(world.transitions).toEqual([]);
    });

    it('a deferral as the probe closes it: the server answered', async () => {
      const world = makeMailer({ attempts: 1 });
      await openBreaker(world);
      vi.advanceTimersByTime(options.halfOpenAfterMs);
      world.server.recover().defer('greylisted@example.com');

      await expect(world.mailer.send(aMail({ to: 'greylisted@example.com' }))).rejects.toBeInstanceOf(RecipientDeferredError);
      expect(world.mailer.breaker.state).toBe('closed');
    });

    it('while open, says when its probe is due, so held-back mail is tried again just after it', async () => {
      const world = makeMailer({ attempts: 1 });
      await openBreaker(world);
      vi.advanceTimersByTime(1_000);

      const refused = world.mailer.send(aMail());
      await expect(refused).rejects.toThrow(/circuit open/);
      const retryAfterMs = await refused.catch((error: MailUnavailableError) => error.retryAfterMs);
      // The probe is due in 4 s; up to 0.25–0.75 s of jitter is added.
      expect(retryAfterMs).toBeGreaterThanOrEqual(options.halfOpenAfterMs - 1_000 + 250);
      expect(retryAfterMs).toBeLessThanOrEqual(options.halfOpenAfterMs - 1_000 + 750);
    });

    it('the failure that opens it says when the probe is due too; a failure while closed leaves the wait to the caller', async () => {
      const world = makeMailer({ attempts: 1, breakerThreshold: 2 });
      world.server.failUntilRecovered();

      const first = await world.mailer.send(aMail()).catch((error: MailUnavailableError) => error);
      const opening = await world.mailer.send(aMail()).catch((error: MailUnavailableError) => error);

      expect(first).toBeInstanceOf(MailUnavailableError);
      expect(first).toHaveProperty('retryAfterMs', undefined);
      expect(opening).toBeInstanceOf(MailUnavailableError);
      expect((opening as MailUnavailableError).retryAfterMs).toBeGreaterThanOrEqual(options.halfOpenAfterMs);
    });

    it('logs a login or TLS failure that opens it as a configuration problem, at error level', async () => {
      const server = { send: vi.fn().mockRejectedValue(new SmtpConfigurationError({ kind: 'login', reply: '535 5.7.8 Authentication failed' }, { cause: undefined })) };
      const logLines: Array<Record<string, unknown>> = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(JSON.parse(chunk.toString('utf8')));
          done();
        },
      });
      const mailer = new ResilientMailer(server, { ...options, attempts: 1, breakerThreshold: 1 }, pino({ level: 'info' }, sink));

      await expect(mailer.send(aMail())).rejects.toHaveProperty('cause', expect.any(SmtpConfigurationError));

      expect(logLines).toEqual([
        expect.objectContaining({ level: 50, configuration: true, msg: 'SMTP circuit opened: the server refused the login, a configuration problem', detail: expect.stringContaining('535 5.7.8') }),
      ]);
    });

    it('opens after consecutive failures and then refuses without touching the server', async () => {
      const world = makeMailer({ attempts: 1 });
      await openBreaker(world);
      expect(world.mailer.breaker.state).toBe('open');
      expect(world.mailer.breaker.holdingBack).toBe(true);

      world.server.recover();
      await expect(world.mailer.send(aMail())).rejects.toThrow(/circuit open/);
      expect(world.server.sent).toHaveLength(0);
    });

    it('counts each try, so retries of a few mails open it', async () => {
      const world = makeMailer({ attempts: 3, breakerThreshold: 5 });
      world.server.failUntilRecovered();

      await sendThroughTimers(world.mailer);
      expect(world.mailer.breaker.state).toBe('closed');
      const second = await sendThroughTimers(world.mailer);
      expect(world.mailer.breaker.state).toBe('open');
      // The second mail's third try met the open breaker.
      expect(second).toEqual({ error: expect.objectContaining({ message: expect.stringMatching(/circuit open/) }) });
    });

    it('a success resets the count of consecutive failures', async () => {
      const world = makeMailer({ attempts: 1, breakerThreshold: 3 });
      for (let round = 0; round < 3; round += 1) {
        world.server.failNext(2);
        await expect(world.mailer.send(aMail())).rejects.toBeInstanceOf(MailUnavailableError);
        await expect(world.mailer.send(aMail())).rejects.toBeInstanceOf(MailUnavailableError);
        await expect(world.mailer.send(aMail())).resolves.toEqual({ kind: 'accepted' });
      }
      expect(world.mailer.breaker.state).toBe('closed');
    });

    it('stops holding back once a probe is due, and closes when the probe succeeds', async () => {
      const world = makeMailer({ attempts: 1 });
      await openBreaker(world);

      vi.advanceTimersByTime(options.halfOpenAfterMs - 1);
      expect(world.mailer.breaker.holdingBack).toBe(true);
      vi.advanceTimersByTime(1);
      expect(world.mailer.breaker.state).toBe('open');
      expect(world.mailer.breaker.holdingBack).toBe(false);

      world.server.recover();
      await expect(world.mailer.send(aMail())).resolves.toEqual({ kind: 'accepted' });
      expect(world.mailer.breaker.state).toBe('closed');
      expect(world.transitions).toEqual(['open', 'half-open', 'closed']);
    });

    it('holds back while the probe is out, and the sends that arrive meanwhile wait for its verdict', async () => {
      const world = makeMailer({ attempts: 1 });
      await openBreaker(world);
      vi.advanceTimersByTime(options.halfOpenAfterMs);
      world.server.recover();
      const held = world.server.hold();

      const probe = world.mailer.send(aMail({ resetId: 'r-probe' }));
      await held.reached;
      expect(world.mailer.breaker.state).toBe('half-open');
      expect(world.mailer.breaker.holdingBack).toBe(true);
      const waiting = world.mailer.send(aMail({ resetId: 'r-waiting' }));
      held.release();

      await expect(probe).resolves.toEqual({ kind: 'accepted' });
      await expect(waiting).resolves.toEqual({ kind: 'accepted' });
      expect(world.server.sent.map((mail) => mail.resetId)).toEqual(['r-probe', 'r-waiting']);
    });

    it('opens again for another period when the probe fails', async () => {
      const world = makeMailer({ attempts: 1 });
      await openBreaker(world);
      vi.advanceTimersByTime(options.halfOpenAfterMs);

      await expect(world.mailer.send(aMail())).rejects.toBeInstanceOf(MailUnavailableError);
      expect(world.mailer.breaker.state).toBe('open');
      expect(world.mailer.breaker.holdingBack).toBe(true);
      expect(world.transitions).toEqual(['open', 'half-open', 'open']);
    });

    describe('with nothing to send', () => {
      /** A server check that fails while the server is down, and counts its calls. */
      function checkOf(state: { down: boolean; checks: number }): ServerCheck {
        return async () => {
          state.checks += 1;
          if (state.down) throw new MailUnavailableError('The SMTP server was not reached: ECONNREFUSED');
        };
      }

      it('the server check probes an open breaker that no mail probed, and closes it once the server is back', async () => {
        const server = { down: true, checks: 0 };
        const world = makeMailer({ attempts: 1, idleProbeAfterMs: 8_000 }, checkOf(server));
        await openBreaker(world);

        await vi.advanceTimersByTimeAsync(7_999);
        expect(server.checks).toBe(0);
        await vi.advanceTimersByTimeAsync(1);
        expect(server.checks).toBe(1);
        expect(world.mailer.breaker.state).toBe('open');

        // Each failed check opens it again, and the next check waits a whole period from there.
        server.down = false;
        await vi.advanceTimersByTimeAsync(8_000);
        expect(server.checks).toBe(2);
        expect(world.mailer.breaker.state).toBe('closed');
        expect(world.transitions).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
        expect(world.server.sent).toHaveLength(0);

        // Closed, it is not checked again.
        await vi.advanceTimersByTimeAsync(60_000);
        expect(server.checks).toBe(2);
      });

      it('a mail that probes first makes the check wait again; without a check the breaker waits for mail', async () => {
        const server = { down: true, checks: 0 };
        const world = makeMailer({ attempts: 1, idleProbeAfterMs: 8_000 }, checkOf(server));
        await openBreaker(world);
        await vi.advanceTimersByTimeAsync(options.halfOpenAfterMs);
        // The mail's probe fails and opens the breaker anew: the check is due 8 s after that.
        await expect(world.mailer.send(aMail())).rejects.toBeInstanceOf(MailUnavailableError);
        await vi.advanceTimersByTimeAsync(7_999);
        expect(server.checks).toBe(0);
        await vi.advanceTimersByTimeAsync(1);
        expect(server.checks).toBe(1);

        const unchecked = makeMailer({ attempts: 1, idleProbeAfterMs: 8_000 });
        await openBreaker(unchecked);
        unchecked.server.recover();
        await vi.advanceTimersByTimeAsync(60_000);
        expect(unchecked.mailer.breaker.state).toBe('open');
      });

      it('never checks sooner than the breaker would let a mail through', async () => {
        const server = { down: false, checks: 0 };
        const world = makeMailer({ attempts: 1, idleProbeAfterMs: 1_000 }, checkOf(server));
        await openBreaker(world);

        await vi.advanceTimersByTimeAsync(options.halfOpenAfterMs - 1);
        expect(server.checks).toBe(0);
        await vi.advanceTimersByTimeAsync(1);
        expect(server.checks).toBe(1);
        expect(world.mailer.breaker.state).toBe('closed');
      });
    });

    it('logs one line per transition, without the failure text (an SMTP reply may name the recipient)', async () => {
      const world = makeMailer({ attempts: 1 });
      await openBreaker(world);
      vi.advanceTimersByTime(options.halfOpenAfterMs);
      world.server.recover();
      await world.mailer.send(aMail());

      expect(world.messages()).toEqual(['SMTP circuit opened', 'SMTP circuit half-open; probing', 'SMTP circuit closed']);
      const opened = world.logLines[0]!;
      expect(opened).toMatchObject({ level: 40, cause: 'MailUnavailableError' });
      // The failures' text is the fake server's 421 reply: none of it may reach a line.
      expect(JSON.stringify(world.logLines)).not.toContain('Service not available');
      expect(JSON.stringify(world.logLines)).not.toContain('@');
    });

    it('names the outbox in its lines and refusals when that is what it writes to: a full disk is no SMTP outage', async () => {
      const world = makeMailer({ attempts: 1 }, undefined, 'outbox');
      await openBreaker(world);
      expect(world.messages()).toEqual(['outbox circuit opened']);
      await expect(world.mailer.send(aMail())).rejects.toThrow('circuit open: the outbox failed too often; not tried now');
    });
  });
});
