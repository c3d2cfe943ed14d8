import type { Env } from '../adapters/environment/env-schema.js';

type Compared = 'RATE_USER_PER_HOUR' | 'RATE_USER_PER_DAY' | 'RESET_EVENTS_DUPLICATE_WINDOW_SECONDS' | 'RESET_ACK_WAIT_SECONDS';

const RELATIONS = {
  'at least': (value: number, other: number) => value >= other,
  above: (value: number, other: number) => value > other,
};

/** Two settings each fine alone that contradict each other unless `setting` stands in `relation` to `other`, for the reason `why`. */
interface Rule {
  readonly setting: Compared;
  readonly relation: keyof typeof RELATIONS;
  readonly other: Compared;
  readonly why: string;
}

const RULES: readonly Rule[] = [
  { setting: 'RATE_USER_PER_DAY', relation: 'at least', other: 'RATE_USER_PER_HOUR', why: "a user would meet the day's limit first, and the hour's would never apply" },
  {
    setting: 'RESET_EVENTS_DUPLICATE_WINDOW_SECONDS',
    relation: 'above',
    other: 'RESET_ACK_WAIT_SECONDS',
    why: "a dead instance's messages are redelivered after the ack wait, and the outcome published again then is dropped as a duplicate only within the window; keep it well above",
  },
];

/** A line for each rule that `env` breaks, naming both variables and their values (a value not in `given` marked as the default). */
export function settingConflicts(env: Pick<Env, Compared>, given: Readonly<Record<string, string>>): string[] {
  const shown = (name: Compared) => `${name}=${env[name]}${given[name] === undefined ? ' (the default)' : ''}`;
  return RULES.filter(({ setting, relation, other }) => !RELATIONS[relation](env[setting], env[other])).map(
    ({ setting, relation, other, why }) => `${shown(setting)} should be ${relation} ${shown(other)}: ${why}`,
  );
}
