import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationMarkdown, envExample, envReference } from '../../src/app/env-reference.js';
import { envSchema } from '../../src/adapters/environment/env-schema.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('the configuration reference', () => {
  it('describes every variable of envSchema, once', () => {
    const names = envReference().flatMap((group) => group.variables.map((variable) => variable.name));
    expect([...names].sort()).toEqual(Object.keys(envSchema.shape).sort());
  });

  it('gives the rule the schema applies, in its own words where it has them', () => {
    const rules = Object.fromEntries(envReference().flatMap((group) => group.variables.map((v) => [v.name, v.rule])));
    expect(rules.OTP_LENGTH).toBe('an integer from 4 to 10');
    expect(rules.REDIS_URL).toBe('must be a redis:// or rediss:// URL, must parse as a URL: percent-encode special characters in its user and password (/ as %2F, # as %23, ? as %3F, % as %25)');
    expect(rules.LOG_LEVEL).toMatch(/^one of `trace`, `debug`/);
  });

  it('docs/configuration.md is what `npm run configuration` writes (run it after changing the schema)', () => {
    expect(read('docs/configuration.md')).toBe(configurationMarkdown());
  });

  it('.env.example is what `npm run configuration` writes', () => {
    expect(read('.env.example')).toBe(envExample());
  });
});
