import { readFileSync } from 'node:fs';
import { CliError, EXIT } from './cli-error.js';

/** The `--verify-key` files (PEM or JWK), each read whole; unset stays unset, so nothing is checked. */
export function readVerifyKeys(files: readonly string[] | undefined): string[] | undefined {
  if (files === undefined || files.length === 0) return undefined;
  return files.map((file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new CliError(`--verify-key names a file that cannot be read (${file}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`, EXIT.usage);
    }
  });
}

/** Commander's parser for a repeatable option: each use adds one value. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
