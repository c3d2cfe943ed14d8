import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { configProblems as problemsOf } from '../../support/config-problems.js';

describe("the streams' settings", () => {
  it("keeps an event id for 10 minutes unless RESET_EVENTS_DUPLICATE_WINDOW_SECONDS says otherwise", () => {
    expect(loadConfig({}).nats.limits.eventsDuplicateWindowMs).toBe(600_000);
    expect(loadConfig({ RESET_EVENTS_DUPLICATE_WINDOW_SECONDS: '120' }).nats.limits.eventsDuplicateWindowMs).toBe(120_000);
  });

  it('takes a window from a minute (past a publish retried and a dead instance redelivered) to an hour (the shortest age an event is kept)', () => {
    expect(problemsOf({ RESET_EVENTS_DUPLICATE_WINDOW_SECONDS: '59' })).toEqual(['RESET_EVENTS_DUPLICATE_WINDOW_SECONDS must be at least 60 (got "59")']);
    expect(problemsOf({ RESET_EVENTS_DUPLICATE_WINDOW_SECONDS: '3601' })).toEqual(['RESET_EVENTS_DUPLICATE_WINDOW_SECONDS must be at most 3600 (got "3601")']);
    expect(problemsOf({ RESET_EVENTS_DUPLICATE_WINDOW_SECONDS: '3600' })).toEqual([]);
  });

  it('refuses one name for both streams: the inbox is a work queue, the events a log', () => {
    expect(problemsOf({ RESET_INBOX_STREAM: 'RESETS', RESET_EVENTS_STREAM: 'RESETS' })).toEqual([
      'RESET_INBOX_STREAM and RESET_EVENTS_STREAM must name two streams, not both RESETS: the inbox is a work queue, the events a log',
    ]);
    expect(problemsOf({ RESET_INBOX_STREAM: 'RESETS_IN', RESET_EVENTS_STREAM: 'RESETS_OUT' })).toEqual([]);
  });
});
