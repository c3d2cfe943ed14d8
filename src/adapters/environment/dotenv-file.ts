import { readFileSync } from 'node:fs';
import { parse } from 'dotenv';
import { ConfigError } from './config-error.js';

/**
 * Copies the variables of the `.env` file in the working directory into `environment` where it
 * lacks them (or holds them blank), and returns their names; none when there is no such file. A value
 * the environment sets always wins, so a deployment's own settings are never changed by a file left
 * in the checkout; a blank one is filled from the file (docs/operations.md, `.env`).
 */
export function readDotEnvFile(environment: NodeJS.ProcessEnv = process.env, path = '.env'): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new ConfigError(`${path} cannot be read: ${code ?? (error as Error).message}`);
  }
  // A blank value is an unset one to the configuration (`OTP_SECRET=` from a compose file's empty
  // substitution), so the file fills it rather than leave the development default to apply.
  const added = Object.entries(parse(text)).filter(([name]) => (environment[name] ?? '').trim() === '');
  for (const [name, value] of added) environment[name] = value;
  return added.map(([name]) => name);
}
