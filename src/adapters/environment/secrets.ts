import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { ConfigError } from './config-error.js';

/** The environment as the configuration has parsed it; only its string values are read here. */
export type EnvValues = Readonly<Record<string, unknown>>;

/** The variable's value if it is set to text. */
export const textOf = (env: EnvValues, name: string): string | undefined => {
  const value = env[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * A secret from `NAME`, or from the file named by `NAME_FILE` (the Docker and Kubernetes secrets
 * convention), with the file's surrounding whitespace trimmed; undefined when neither is set.
 * Both set is a ConfigError naming the variable. No message ever holds the secret.
 */
export function secretFrom(env: EnvValues, name: string): string | undefined {
  const direct = textOf(env, name);
  const file = textOf(env, `${name}_FILE`);
  if (direct !== undefined && file !== undefined) throw new ConfigError(`${name} and ${name}_FILE are both set; set one`);
  return file === undefined ? direct : readSettingFile(`${name}_FILE`, file).trim();
}

/** A variable as `requireTogether` names it: a secret may come from its `_FILE` too. */
export interface SetVariable {
  readonly name: string;
  readonly value: unknown;
  readonly orFile?: boolean;
}

/** Two variables that mean something only together: one set without the other is a ConfigError naming the one missing. */
export function requireTogether(first: SetVariable, second: SetVariable): void {
  for (const [given, missing] of [
    [first, second],
    [second, first],
  ] as const) {
    if (given.value !== undefined && missing.value === undefined) {
      throw new ConfigError(`${missing.name}${missing.orFile ? ` (or ${missing.name}_FILE)` : ''} is required when ${given.name} is set`);
    }
  }
}

/** The content of the file that `variable` names; a file that cannot be read is a ConfigError naming the variable. */
export function readSettingFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw unreadable(variable, path, error);
  }
}

/** Checks that the file `variable` names can be read now, for a client that reads it itself later. */
export function checkReadable(variable: string, path: string): string {
  try {
    accessSync(path, constants.R_OK);
    // A directory passes that check; the client would fail on it only at connect, in its own words.
    if (statSync(path).isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: 'EISDIR' });
    return path;
  } catch (error) {
    throw unreadable(variable, path, error);
  }
}

function unreadable(variable: string, path: string, error: unknown): ConfigError {
  return new ConfigError(`${variable} names a file that cannot be read (${path}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
}
