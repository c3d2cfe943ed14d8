import { loadConfig } from '../../src/app/config.js';
import { ConfigError } from '../../src/adapters/environment/config-error.js';

/** The problems `env` stops the start with, one line each; none when it is accepted. */
export function configProblems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
