import type { z } from 'zod';
import { maskUrl } from '../../contract/mask-url.js';

/** Variables whose value a message must never repeat. */
const SECRET_NAMES = /(SECRET|PASSWORD|TOKEN|SEED|CREDS|PRIVATE_KEY|SIGNING_KEY)/;

/**
 * One start line for each variable that breaks its rule, by name (its first issue's): the name,
 * what is wrong, and the value it got from `environment`. The service's start and the CLI print
 * the same lines.
 */
export function problemLines(issues: readonly z.core.$ZodIssue[], environment: NodeJS.ProcessEnv): Map<string, string> {
  const lines = new Map<string, string>();
  for (const issue of issues) {
    const name = String(issue.path[0]);
    if (!lines.has(name)) lines.set(name, `${name} ${describeIssue(issue)}${shownValue(name, environment[name] ?? '')}`);
  }
  return lines;
}

/** What is wrong with a variable, in words an operator reads without knowing zod: "must be at least 1". */
function describeIssue(issue: z.core.$ZodIssue): string {
  // A message written in the schema says it best; zod's own start "Invalid" or "Too".
  if (!/^(Invalid|Too (small|big))\b/.test(issue.message)) return issue.message;
  const unit = (origin: string) => (origin === 'string' ? ' characters' : '');
  switch (issue.code) {
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${unit(issue.origin)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${unit(issue.origin)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'must be a whole number' : `must be a ${issue.expected}`;
    default:
      return 'is not valid';
  }
}

/** The value as given, for the message: a URL's password masked, a secret's value never repeated, a long one cut. */
function shownValue(name: string, value: string): string {
  if (SECRET_NAMES.test(name)) return '';
  return ` (got ${JSON.stringify(maskUrl(value))})`.replace(/\(got "(.{40}).*"\)$/, '(got "$1…")');
}
