import { pino } from 'pino';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { noteAudit, withAuditScope, type AuditContext } from '../../../src/adapters/audit/audit-context.js';
import type { AuditRecord } from '../../../src/adapters/audit/audit-record.js';
import { createAuditSink, type AuditSink } from '../../../src/adapters/audit/audit-sink.js';
import { AuditTrail } from '../../../src/adapters/audit/audit-trail.js';
import { AuditingPublisher } from '../../../src/adapters/audit/auditing-publisher.js';
import { auditFieldsOf } from '../../../src/adapters/nats/inbound-audit.js';
import { bindToContext } from '../../../src/adapters/otel/message-context.js';
import type { ResetEvent } from '../../../src/domain/events.js';
import type { EventPublisher } from '../../../src/domain/ports.js';
import { aResetRequest } from '../../support/builders.js';
import { FixedClock, START } from '../../support/fakes/fixed-clock.js';
import { RecordingPublisher } from '../../support/fakes/recording-publisher.js';

class MemorySink implements AuditSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  close(): void {}
  get records(): AuditRecord[] {
    return this.lines.map((line) => JSON.parse(line) as AuditRecord);
  }
}

const codeSent: ResetEvent = { name: 'reset.code.sent', sequence: '0', data: { resetId: 'r-1', userId: 'u-1', expiresAt: '2030-01-07T09:10:00.000Z' } };
const completed: ResetEvent = { name: 'reset.completed', sequence: '2', data: { resetId: 'r-1', userId: 'u-1', completedAt: '2030-01-07T09:01:00.000Z' } };
const wrongCode: ResetEvent = {
  name: 'reset.verification.failed',
  sequence: '1',
  data: { resetId: 'r-1', userId: 'u-1', reason: 'invalid_code', attemptsRemaining: 4 },
};

function makeTrail() {
  const sink = new MemorySink();
  const trail = new AuditTrail(sink, new FixedClock(START));
  const inner = new RecordingPublisher();
  return { sink, trail, inner, publisher: new AuditingPublisher(inner, trail) };
}

/** As a message is handled: an audit scope of its own, starting from `known`, with the publisher bound to it. */
function aMessage(publisher: EventPublisher, known?: AuditContext, parent: Context = ROOT_CONTEXT) {
  const context = withAuditScope(parent, known);
  return { context, publisher: bindToContext(publisher, context), note: (fields: AuditContext) => noteAudit(fields, context) };
}

describe('the audit trail', () => {
  it('writes one line per published outcome with what the request said: the address masked, the user agent cut to 128', async () => {
    const { sink, publisher } = makeTrail();
    const request = aResetRequest({ email: 'ada.lovelace@example.com', userAgent: `Mozilla/5.0 ${'x'.repeat(300)}` });

    const message = aMessage(publisher);
    message.note(auditFieldsOf({ kind: 'requested', request }));
    await message.publisher.publish(codeSent);

    expect(sink.lines).toHaveLength(1);
    expect(sink.lines[0]!.endsWith('\n')).toBe(true);
    expect(sink.records[0]).toEqual({
      audit: true,
      time: new Date(START).toISOString(),
      event: 'reset.code.sent',
      eventId: 'reset.code.sent|r-1|0',
      resetId: 'r-1',
      userId: 'u-1',
      email: 'a***@example.com',
      clientIp: '192.0.2.10',
      clientIpKey: null,
      userAgent: `Mozilla/5.0 ${'x'.repeat(116)}`,
      outcome: 'success',
      reason: null,
      attemptsRemaining: null,
      trace_id: null,
    });
    expect(sink.lines.join('')).not.toContain('ada.lovelace');
  });

  it('writes nothing for a repeat the broker dropped', async () => {
    const { sink, publisher } = makeTrail();

    const message = aMessage(publisher);
    await message.publisher.publish(codeSent);
    await message.publisher.publish(codeSent);

    expect(sink.records.map((r) => r.event)).toEqual(['reset.code.sent']);
  });

  it('writes nothing for an event the broker did not take', async () => {
    const { sink, inner, publisher } = makeTrail();
    inner.failNext(1);

    await expect(publisher.publish(codeSent)).rejects.toThrow();

    expect(sink.lines).toEqual([]);
  });

  it('records a reset.verify answer with the user its outcome named, and the reason', async () => {
    const { sink, trail, publisher } = makeTrail();

    const message = aMessage(publisher);
    message.note(auditFieldsOf({ kind: 'submitted', submission: { resetId: 'r-1', code: '123456', clientIp: '198.51.100.4' } }));
    await message.publisher.publish(wrongCode);
    trail.verifyAnswered({ resetId: 'r-1', status: 'invalid_code', attemptsRemaining: 4 }, message.context);

    expect(sink.records).toEqual([
      expect.objectContaining({ event: 'reset.verification.failed', outcome: 'failure', reason: 'invalid_code', attemptsRemaining: 4, clientIp: '198.51.100.4' }),
      expect.objectContaining({
        event: 'reset.verify',
        eventId: null,
        resetId: 'r-1',
        userId: 'u-1',
        clientIp: '198.51.100.4',
        email: null,
        outcome: 'failure',
        reason: 'invalid_code',
        attemptsRemaining: 4,
      }),
    ]);
    expect(sink.lines.join('')).not.toContain('123456');
  });

  it.each([
    ['completed', 'success', null],
    ['invalid_request', 'rejected', 'invalid_request'],
    ['unavailable', 'error', 'unavailable'],
    ['locked', 'failure', 'locked'],
  ] as const)('says %s is %s', (status, outcome, reason) => {
    const { sink, trail } = makeTrail();
    trail.verifyAnswered({ resetId: 'r-1', status, attemptsRemaining: 0 }, ROOT_CONTEXT);
    expect(sink.records[0]).toMatchObject({ event: 'reset.verify', outcome, reason });
  });

  it('keeps the scopes of messages handled at the same time apart', async () => {
    const { sink, publisher } = makeTrail();
    const handle = async (userId: string, clientIp: string, event: ResetEvent, delayMs: number) => {
      const message = aMessage(publisher);
      message.note({ userId, clientIp });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await message.publisher.publish(event);
    };

    await Promise.all([
      handle('u-1', '192.0.2.1', codeSent, 20),
      handle('u-2', '192.0.2.2', { ...completed, data: { ...completed.data, resetId: 'r-2', userId: 'u-2' } }, 5),
    ]);

    expect(sink.records.map((r) => [r.userId, r.clientIp])).toEqual([
      ['u-2', '192.0.2.2'],
      ['u-1', '192.0.2.1'],
    ]);
  });

  it('writes nulls for what is not known, as for a body that could not be read', async () => {
    const { sink, publisher } = makeTrail();
    const rejection: ResetEvent = {
      name: 'reset.rejected',
      sequence: 'm:7',
      data: { resetId: '', eventId: '', reason: 'invalid_request', detail: 'The body is not JSON.' },
    };

    const message = aMessage(publisher);
    message.note(auditFieldsOf({ kind: 'invalid', rejection }));
    await message.publisher.publish(rejection);

    expect(sink.records[0]).toMatchObject({ event: 'reset.rejected', resetId: null, userId: null, email: null, outcome: 'rejected', reason: 'invalid_request' });
  });

  it('names the trace the outcome was reached in', async () => {
    const { sink, publisher } = makeTrail();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const traced = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });

    await aMessage(publisher, {}, traced).publisher.publish(codeSent);

    expect(sink.records[0]!.trace_id).toBe(traceId);
  });

  it('starts a scope from the fields it is opened with: a later note adds what is missing and overrides nothing', async () => {
    const { sink, publisher } = makeTrail();
    const request = aResetRequest({ clientIp: '198.51.100.7' });

    const message = aMessage(publisher, auditFieldsOf({ kind: 'requested', request }));
    message.note({ clientIp: '203.0.113.9', clientIpKey: '198.51.100.7' });
    await message.publisher.publish(codeSent);

    expect(sink.records[0]).toMatchObject({ resetId: 'r-1', clientIp: '198.51.100.7', clientIpKey: '198.51.100.7' });
  });
});

describe('the file sink', () => {
  const dir = mkdtempSync(join(tmpdir(), 'resetd-audit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('appends lines to the file, making its directory, and keeps what was there', () => {
    const file = join(dir, 'nested', 'audit.jsonl');
    const first = createAuditSink(file, pino({ level: 'silent' }));
    first.write('{"a":1}\n');
    first.close();
    const second = createAuditSink(file, pino({ level: 'silent' }));
    second.write('{"a":2}\n');
    second.close();

    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
  });
});
