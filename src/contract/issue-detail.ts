import type { z } from 'zod';

/** The first field a schema refused, and one plain sentence saying what it must be. */
export interface IssueDetail {
  /** The field's path, `data.userId`, or `body` for the message as a whole. */
  readonly field: string;
  readonly detail: string;
}

/**
 * Words for the first issue of a failed parse: the `detail` of a `reset.rejected` and the message
 * of the client's InvalidRequestError ("The field data.userId is missing.", not zod's "expected
 * string, received undefined"). `input` is what was parsed, to tell a missing field from a wrong
 * one. The sentence never repeats the value: it may be a code.
 */
export function issueDetail(error: z.ZodError, input: unknown, pathPrefix = ''): IssueDetail {
  const issue = error.issues[0];
  if (!issue) return { field: 'body', detail: 'The body is unreadable.' };
  const path = issue.path.map(String).join('.');
  const field = path === '' ? pathPrefix.replace(/\.$/, '') || 'body' : `${pathPrefix}${path}`;
  const subject = field === 'body' ? 'The body' : `The field ${field}`;
  return { field, detail: `${subject} ${rule(issue, valueAt(input, issue.path))}.` };
}

function rule(issue: z.core.$ZodIssue, value: unknown): string {
  // The schemas' own messages ("must be a BCP 47 language tag") are already plain words.
  if (issue.message.startsWith('must ')) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined ? 'is missing' : `must be ${KINDS[issue.expected] ?? issue.expected}, not ${kindOf(value)}`;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters long`;
      return issue.origin === 'array' ? `must hold at least ${issue.minimum} items` : `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long`;
      return issue.origin === 'array' ? `must hold at most ${issue.maximum} items` : `must be at most ${issue.maximum}`;
    case 'invalid_format':
      return FORMATS[issue.format] ?? `must be in the ${issue.format} format`;
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `has fields it may not have: ${issue.keys.join(', ')}`;
    default:
      return 'is not in a form resetd accepts';
  }
}

const KINDS: Record<string, string> = { string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false', object: 'an object', array: 'an array', record: 'an object' };

const FORMATS: Record<string, string> = {
  email: 'must be an email address',
  datetime: 'must be an RFC 3339 date and time with an offset, such as 2030-01-01T12:00:00Z',
  ipv4: 'must be an IPv4 address',
  ipv6: 'must be an IPv6 address',
  url: 'must be a URL',
  uuid: 'must be a UUID',
  regex: 'has characters it may not have',
};

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return KINDS[typeof value] ?? typeof value;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
