import { describe, expect, it } from 'vitest';
import { eventIdDeriver } from '../../../src/contract/cloud-event.js';

describe('eventIdDeriver', () => {
  const key = 'a deployment key of at least 32 characters';

  it('gives one event the same id every time, and each event its own, shaped as a name-based UUID', () => {
    const id = eventIdDeriver(key);
    expect(id('r-1', 'reset.completed', '1')).toBe(eventIdDeriver(key)('r-1', 'reset.completed', '1'));
    expect(id('r-1', 'reset.completed', '1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ids = new Set([id('r-1', 'reset.completed', '1'), id('r-1', 'reset.completed', '2'), id('r-1', 'reset.code.sent', '1'), id('r-2', 'reset.completed', '1')]);
    expect(ids.size).toBe(4);
  });

  it('needs the key: another key gives other ids for the same event', () => {
    expect(eventIdDeriver(key)('r-1', 'reset.completed', '1')).not.toBe(eventIdDeriver(`${key}!`)('r-1', 'reset.completed', '1'));
  });
});
