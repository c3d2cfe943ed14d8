import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn } from '../support/mail-code.js';
import { TestClient, uniquePrefix, waitFor } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { aClientSpan } from '../support/trace-context.js';

const FIELDS = [
  'audit',
  'time',
  'event',
  'eventId',
  'resetId',
  'userId',
  'email',
  'clientIp',
  'clientIpKey',
  'userAgent',
  'outcome',
  'reason',
  'attemptsRemaining',
  'trace_id',
].sort();

interface AuditLine {
  audit: true;
  time: string;
  event: string;
  eventId: string | null;
  resetId: string | null;
  userId: string | null;
  email: string | null;
  clientIp: string | null;
  clientIpKey: string | null;
  userAgent: string | null;
  outcome: string;
  reason: string | null;
  attemptsRemaining: number | null;
  trace_id: string | null;
}

const ADDRESS = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const userAgent = `Mozilla/5.0 (X11; Linux x86_64) ${'AppleWebKit/537.36 '.repeat(20)}`;

describe('the audit trail of a running service', () => {
  const prefix = uniquePrefix('audit');
  let dir: string;
  let file: string;
  let sink: SmtpSink;
  let client: TestClient;
  let service: ServiceProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'resetd-audit-e2e-'));
    file = join(dir, 'logs', 'audit.jsonl');
    sink = await startSmtpSink();
    client = await TestClient.connect(prefix);
    service = await ServiceProcess.start({
      RESET_SUBJECT_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      SMTP_URL: sink.url,
      MAIL_FROM: 'Acme <no-reply@acme.test>',
      AUDIT_LOG_FILE: file,
    });
    await client.watchEvents();
  });

  afterAll(async () => {
    expect(await service.stop()).toBe(0);
    await client.close();
    await sink.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const readAudit = async (): Promise<AuditLine[]> => {
    const text = await readFile(file, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditLine);
  };

  it('holds exactly one record per outcome event and per reset.verify answer, with no code and no full address', async () => {
    const codes: string[] = [];
    const span = aClientSpan();

    // A request, a wrong code, the right code; the same request again (its outcome is only repeated).
    const requestA = { userId: 'u-audit-1', email: 'audit.first@example.com', clientIp: '203.0.113.9', userAgent, locale: 'de' };
    const a = await client.publish('reset.requested', requestA, { headers: { traceparent: span.traceparent } });
    await client.waitForEvent(a, 'reset.code.sent');
    const codeA = codeIn((await sink.waitForMail('audit.first@example.com')).text ?? '');
    codes.push(codeA);
    await client.submitCode(a, codeA === '000000' ? '111111' : '000000');
    await client.waitForEvent(a, 'reset.verification.failed');
    await client.submitCode(a, codeA);
    await client.waitForEvent(a, 'reset.completed');
    await client.publish('reset.requested', requestA, { id: a, msgId: `${a}-again` });

    // A rejection for the cooldown, and one for a body that is not JSON.
    const b = await client.publish('reset.requested', { ...requestA, clientIp: '::FFFF:203.0.113.10' });
    await client.waitForEvent(b, 'reset.rejected');
    await client.publishRaw(client.subjects.requested, '{"specversion":', { msgId: randomUUID() });
    await client.waitForEvents((events) => events.some((e) => e.type === 'reset.rejected' && e.data.resetId === ''));

    // Four reset.verify answers: wrong, right, the used code again, a malformed request.
    const c = await client.publish('reset.requested', { userId: 'u-audit-2', email: 'audit.second@example.com', clientIp: '198.51.100.20' });
    await client.waitForEvent(c, 'reset.code.sent');
    const codeC = codeIn((await sink.waitForMail('audit.second@example.com')).text ?? '');
    codes.push(codeC);
    const verifySpan = aClientSpan();
    const h = natsHeaders();
    h.set('traceparent', verifySpan.traceparent);
    const wrong = await client.nc.request(client.subjects.verify, JSON.stringify({ resetId: c, code: codeC === '000000' ? '111111' : '000000', clientIp: '198.51.100.21' }), { timeout: 10_000, headers: h });
    expect(wrong.json()).toEqual({ resetId: c, status: 'invalid_code', attemptsRemaining: 4 });
    expect(await client.verify({ resetId: c, code: codeC })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    expect(await client.verify({ resetId: c, code: codeC })).toEqual({ status: 'unknown_reset', attemptsRemaining: 0 });
    expect(await client.verify({ resetId: c, code: 'x'.repeat(17) })).toMatchObject({ status: 'invalid_request' });

    // A notice, and the same notice again under a new Nats-Msg-Id.
    const noticeData = { userId: 'u-audit-1', email: 'audit.first@example.com', resetId: a, clientIp: '203.0.113.9', locale: 'de' };
    const n = await client.publish('reset.password.changed', noticeData);
    await client.waitForEvents((events) => events.some((e) => e.type === 'reset.notice.sent'));
    await client.publish('reset.password.changed', noticeData, { id: n, msgId: `${n}-again` });

    // The eleven outcome events listed below, as they stand once all have come: a copy, for the
    // client's own array grows with any later one.
    await client.waitForEvents((seen) => seen.length >= 11);
    const events = [...client.events];
    const expectedCount = events.length + 4;
    await waitFor(async () => (await readAudit()).length >= expectedCount, 10_000);
    // The repeats have been handled (the inbox, a work queue, holds neither), and what they would
    // have written has had time to land; nothing more may come.
    await expect.poll(async () => (await client.jsm.streams.info(client.subjects.inboxStream)).state.messages, { timeout: 10_000 }).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const text = await readFile(file, 'utf8');
    const records = await readAudit();

    expect(client.events).toHaveLength(events.length);
    expect((await client.jsm.streams.info(client.subjects.eventsStream)).state.messages).toBe(events.length);
    expect(events.map((e) => e.type).sort()).toEqual(
      [
        'reset.code.sent',
        'reset.verification.failed',
        'reset.completed',
        'reset.rejected',
        'reset.rejected',
        'reset.code.sent',
        'reset.verification.failed',
        'reset.completed',
        'reset.verification.failed',
        'reset.rejected',
        'reset.notice.sent',
      ].sort(),
    );
    expect(records).toHaveLength(expectedCount);

    // Every record has every field; the time is the time.
    for (const record of records) {
      expect(Object.keys(record).sort()).toEqual(FIELDS);
      expect(record.audit).toBe(true);
      expect(Number.isNaN(Date.parse(record.time))).toBe(false);
      expect(['success', 'failure', 'rejected', 'error']).toContain(record.outcome);
      expect((record.userAgent ?? '').length).toBeLessThanOrEqual(128);
    }

    // One record per event, found by the id it was published under, saying what the event says.
    const eventRecords = records.filter((r) => r.event !== 'reset.verify');
    expect(eventRecords.map((r) => r.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    for (const event of events) {
      const record = eventRecords.find((r) => r.eventId === event.id)!;
      expect(record.event).toBe(event.type);
      expect(record.resetId).toBe(event.data.resetId || null);
      expect(record.reason).toBe((event.data.reason as string | undefined) ?? null);
      if (event.data.userId) expect(record.userId).toBe(event.data.userId);
    }

    // The request's own context: IP, the user agent cut to 128, the address masked, the client's trace.
    const sentA = eventRecords.find((r) => r.event === 'reset.code.sent' && r.resetId === a)!;
    expect(sentA).toMatchObject({
      userId: 'u-audit-1',
      email: 'a***@example.com',
      clientIp: '203.0.113.9',
      clientIpKey: '203.0.113.9',
      userAgent: userAgent.slice(0, 128),
      outcome: 'success',
      trace_id: span.traceId,
    });
    expect(eventRecords.find((r) => r.event === 'reset.rejected' && r.resetId === b)).toMatchObject({
      userId: 'u-audit-1',
      // As given, and the address the per-IP limit counted.
      clientIp: '::FFFF:203.0.113.10',
      clientIpKey: '203.0.113.10',
      outcome: 'rejected',
      reason: 'cooldown',
    });
    expect(eventRecords.find((r) => r.event === 'reset.notice.sent')).toMatchObject({
      resetId: a,
      userId: 'u-audit-1',
      email: 'a***@example.com',
      clientIp: '203.0.113.9',
      // A notice is not rate-limited: nothing counted its address.
      clientIpKey: null,
      outcome: 'success',
    });

    // The four answers, in order, with the user their outcome named.
    const answers = records.filter((r) => r.event === 'reset.verify');
    expect(answers.map((r) => [r.outcome, r.reason, r.attemptsRemaining])).toEqual([
      ['failure', 'invalid_code', 4],
      ['success', null, 0],
      ['failure', 'unknown_reset', 0],
      ['rejected', 'invalid_request', null],
    ]);
    expect(answers[0]).toMatchObject({ resetId: c, userId: 'u-audit-2', clientIp: '198.51.100.21', trace_id: verifySpan.traceId, eventId: null });
    expect(answers[1]).toMatchObject({ resetId: c, userId: 'u-audit-2' });

    // Never a code, never a full address.
    for (const code of codes) expect(text).not.toContain(code);
    for (const address of text.match(ADDRESS) ?? []) expect(address).toMatch(/^.\*\*\*@/);
    expect(text).not.toContain('audit.first@');
    expect(text).not.toContain('audit.second@');
  });
});

describe('the audit trail on stdout', () => {
  const prefix = uniquePrefix('auditout');
  let client: TestClient;
  let service: ServiceProcess;
  let outbox: string;

  beforeAll(async () => {
    outbox = await mkdtemp(join(tmpdir(), 'resetd-audit-outbox-'));
    client = await TestClient.connect(prefix);
    service = await ServiceProcess.start({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, MAIL_OUTBOX_DIR: outbox });
    await client.watchEvents();
  });

  afterAll(async () => {
    expect(await service.stop()).toBe(0);
    await client.close();
    await rm(outbox, { recursive: true, force: true });
  });

  it('writes each record as its own line marked "audit":true, apart from the debug log lines', async () => {
    const id = await client.publish('reset.password.changed', { userId: 'u-out', email: 'stdout.user@example.com' });
    await client.waitForEvent(id, 'reset.notice.sent');

    const line = await service.waitForLog(/"audit":true/);
    const record = JSON.parse(line) as AuditLine & { level?: unknown };
    expect(record).toMatchObject({ audit: true, event: 'reset.notice.sent', resetId: id, userId: 'u-out', email: 's***@example.com' });
    expect(record.level).toBeUndefined();
    expect(service.output.filter((l) => l.includes('"audit":true'))).toHaveLength(1);
    expect(service.output.join('\n')).not.toContain('stdout.user@');
  });
});
