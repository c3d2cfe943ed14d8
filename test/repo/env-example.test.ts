import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/adapters/environment/env-schema.js';

const EXAMPLE = new URL('../../.env.example', import.meta.url);

interface Entry {
  readonly name: string;
  readonly value: string;
  /** The line above the assignment. */
  readonly comment: string;
}

function readExample(): Entry[] {
  const lines = readFileSync(EXAMPLE, 'utf8').split('\n');
  return lines.flatMap((line, i) => {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    return match ? [{ name: match[1]!, value: match[2]!, comment: lines[i - 1] ?? '' }] : [];
  });
}

const schemaKeys = Object.keys(envSchema.shape).sort();

describe('.env.example', () => {
  const entries = readExample();
  const names = entries.map((entry) => entry.name);

  it('lists every variable of the configuration schema, and no other', () => {
    expect(names.filter((name) => !schemaKeys.includes(name))).toEqual([]);
    expect(schemaKeys.filter((name) => !names.includes(name))).toEqual([]);
  });

  it('lists each variable once, under a one-line comment', () => {
    expect(new Set(names).size).toBe(names.length);
    for (const entry of entries) expect(entry.comment, entry.name).toMatch(/^# \S/);
  });

  it("sets each variable to the schema's default, or leaves it empty (unset) where there is none", () => {
    const shape = envSchema.shape as Record<string, { safeParse(value: unknown): { success: boolean; data?: unknown } }>;
    for (const { name, value } of entries) {
      const fallback = shape[name]!.safeParse(undefined);
      if (value === '') {
        expect({ name, default: fallback.data }).toEqual({ name, default: undefined });
      } else {
        const parsed = shape[name]!.safeParse(value);
        expect({ name, valid: parsed.success, parsed: parsed.data }).toEqual({ name, valid: true, parsed: fallback.data });
      }
    }
  });
});
