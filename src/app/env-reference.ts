import { z } from 'zod';
import { envSchema } from '../adapters/environment/env-schema.js';
import { envGroups } from './env-descriptions.js';

/** One variable as the generated reference shows it. */
interface Variable {
  readonly name: string;
  /** The schema's default as it would be written in the environment; undefined: unset by default. */
  readonly fallback: string | undefined;
  readonly rule: string;
  readonly description: string;
}

interface JsonSchemaProperty {
  readonly type?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
}

/**
 * The environment reference, generated from `envSchema` (defaults and rules) and `envGroups`
 * (meanings), so that the documentation cannot list a variable the service does not read or miss
 * one it does. Throws naming a variable of the schema that has no description, or a description
 * of a variable the schema does not have.
 */
export function envReference(): ReadonlyArray<{ readonly title: string; readonly variables: readonly Variable[] }> {
  // A preprocessed number (`int`: the text read as a number, then its bounds) is a pipe: its input
  // side and its output side each hold part of the rule, so the rule is what the two say together.
  const input = properties('input');
  const output = properties('output');
  const described = envGroups.flatMap((group) => Object.keys(group.variables));
  const missing = Object.keys(input).filter((name) => !described.includes(name));
  const unknown = described.filter((name) => !(name in input));
  if (missing.length > 0) throw new Error(`no description in src/app/env-descriptions.ts for ${missing.join(', ')}`);
  if (unknown.length > 0) throw new Error(`src/app/env-descriptions.ts describes ${unknown.join(', ')}, which envSchema does not have`);

  return envGroups.map((group) => ({
    title: group.title,
    variables: Object.entries(group.variables).map(([name, description]) => {
      const both = { ...output[name], ...input[name] };
      const fallback = both.default === undefined ? undefined : String(both.default);
      const shape = envSchema.shape as Record<string, z.ZodType>;
      return { name, fallback, rule: ruleOf(input[name]!, output[name]!, messagesOf(shape[name]!)), description: description! };
    }),
  }));
}

/** docs/configuration.md. */
export function configurationMarkdown(): string {
  const sections = envReference().map(
    (group) =>
      `## ${group.title}\n\n| variable | default | rule | meaning |\n| --- | --- | --- | --- |\n` +
      group.variables
        .map((v) => `| \`${v.name}\` | ${v.fallback === undefined ? 'unset' : `\`${cell(v.fallback)}\``} | ${cell(v.rule)} | ${cell(v.description)} |`)
        .join('\n') +
      '\n',
  );
  return `${MARKDOWN_HEADER}\n${sections.join('\n')}`;
}

/** .env.example: every variable set to its default, or empty where it has none, under its meaning. */
export function envExample(): string {
  const sections = envReference().map(
    (group) =>
      `# --- ${group.title} ---\n` +
      group.variables.map((v) => `# ${plain(v.description)}${v.rule === 'text' ? '' : ` (${plain(v.rule)})`}\n${v.name}=${v.fallback ?? ''}\n`).join(''),
  );
  return `${ENV_HEADER}\n${sections.join('\n')}`;
}

const MARKDOWN_HEADER = `<!-- Generated from src/adapters/environment/env-schema.ts (envSchema) and src/app/env-descriptions.ts by \`npm run configuration\`: do not edit by hand. -->
# Configuration

Every setting is an environment variable, parsed and checked once at start. A \`.env\` file in the
working directory, when present, is read for the variables the environment does not set or sets
blank (a value the environment sets always wins: see [operations.md](operations.md#env)), by the
service and the CLI alike. Bad values stop the start (exit 2) with one line each, naming the
variable and what to set, all of them in one start; no error line repeats a secret, and a URL is
printed with its password masked. Settings that work but contradict each other (a day's limit below
the hour's, say) get one warning line each at start. A variable that looks like resetd's but is none
of these (\`RESET_SUBJECT_PREFX\`, \`log_level\`) is ignored, with one warning line at start naming it and the variable it is closest
to. [\`.env.example\`](../.env.example) lists the same variables, each set to its default, and is
generated from the same schema.

Every secret can also come from a file, \`<NAME>_FILE\` (the Docker and Kubernetes convention);
setting both is a start error naming the variable. An empty value, or one of only spaces, means
unset. A whole number is digits alone (\`0x10\`, \`1e3\` are refused). \`NODE_ENV\` is \`production\`,
\`development\` or \`test\` (any other value stops the start); with \`NODE_ENV=production\` an unset
\`OTP_SECRET\` or \`SMTP_URL\` stops the start; elsewhere a development default is used with one
warning line. The CLI reads the same variables
(see the [README](../README.md#the-cli)). What each security setting protects is in
[security.md](security.md).
`;

const ENV_HEADER = `# resetd configuration: every variable it reads, set to its default.
# Generated from src/adapters/environment/env-schema.ts and src/app/env-descriptions.ts by \`npm run configuration\`.
# Copy to .env (or your deployment's environment) and change what you need: resetd and its CLI read
# .env in the working directory for the variables the environment does not set or sets blank (a
# value the environment sets always wins). An empty value, or one of only spaces, means unset. Bad values stop the start (exit 2) with one line each,
# naming the variable. docs/configuration.md says more.
`;

function properties(io: 'input' | 'output'): Record<string, JsonSchemaProperty> {
  const schema = z.toJSONSchema(envSchema, { io, unrepresentable: 'any' }) as { properties: Record<string, JsonSchemaProperty> };
  return schema.properties;
}

/** The schema's checks in words: the same rule the service applies at start. */
function ruleOf(input: JsonSchemaProperty, output: JsonSchemaProperty, messages: readonly string[]): string {
  const values = input.enum ?? output.enum;
  if (values) return `one of ${values.map((value) => `\`${String(value)}\``).join(', ')}`;
  if (input.type === 'integer' || input.type === 'number') {
    const kind = input.type === 'integer' || output.type === 'integer' ? 'an integer' : 'a number';
    const min = bound(Math.max, input.minimum, output.minimum);
    const max = bound(Math.min, input.maximum, output.maximum);
    if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
    if (min !== undefined) return `${kind}, at least ${min}`;
    return max === undefined ? kind : `${kind}, at most ${max}`;
  }
  const rules: string[] = [];
  // The schema's own words for a pattern ("must be a redis:// or rediss:// URL") read better than the pattern.
  if (messages.length > 0) rules.push(...messages);
  else if (input.format === 'uri') rules.push('a URL');
  else if (input.pattern !== undefined) rules.push(`matches \`${input.pattern}\``);
  if (input.minLength !== undefined && input.minLength > 1) rules.push(`at least ${input.minLength} characters`);
  if (input.maxLength !== undefined) rules.push(`at most ${input.maxLength} characters`);
  return rules.length > 0 ? rules.join(', ') : 'text';
}

/** The messages the schema's checks were given in envSchema, e.g. `.regex(…, 'must be …')`. */
function messagesOf(schema: z.ZodType): string[] {
  const def = schema._zod.def as { innerType?: z.ZodType; in?: z.ZodType; checks?: Array<{ _zod: { def: { error?: unknown } } }> };
  const inner = [def.innerType, def.in].filter((part): part is z.ZodType => part !== undefined);
  const own = (def.checks ?? []).flatMap((check) => {
    const error = check._zod.def.error;
    const message: unknown = typeof error === 'function' ? (error as (issue: object) => unknown)({}) : undefined;
    return typeof message === 'string' ? [message] : [];
  });
  return [...own, ...inner.flatMap(messagesOf)];
}

/** The tighter of two bounds; JSON Schema writes "no bound" on an integer as the largest safe one. */
function bound(pick: (...values: number[]) => number, ...values: Array<number | undefined>): number | undefined {
  const real = values.filter((value): value is number => value !== undefined && Math.abs(value) < Number.MAX_SAFE_INTEGER);
  return real.length > 0 ? pick(...real) : undefined;
}

/** Text inside a Markdown table cell: a `|` would end the cell. */
const cell = (text: string): string => text.replaceAll('|', '\\|');

/** Markdown to a plain comment line: code spans and links lose their marks. */
const plain = (text: string): string => text.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1').replaceAll('`', '');
