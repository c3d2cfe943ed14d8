import { checkedSubmission } from '../client/reset-client.js';
import { EXIT } from './cli-error.js';
import type { CliOutput } from './cli-output.js';
import type { CliSettings } from './cli-settings.js';
import { formatValue } from './format-event.js';
import { withClient } from './open-client.js';
import { readLine } from './read-line.js';
import { readVerifyKeys } from './verify-keys.js';

export interface VerifyOptions {
  readonly json?: boolean;
  /** resetd's public key files: the reply must verify with one of them. */
  readonly verifyKey?: readonly string[];
}

/** Where the code comes from when it is not on the command line: a terminal is asked for it. */
export interface CodeInput {
  readonly stream: NodeJS.ReadableStream;
  readonly isTTY: boolean;
}

/** The code argument that stands for standard input: `resetd verify <id> -`. */
export const CODE_FROM_STDIN = '-';

/**
 * Asks `reset.verify` and prints the reply; exit 0 only when the reset completed. With
 * `--verify-key`, the line says the signature verified; a reply that does not verify fails with
 * UnverifiedReplyError (exit 1), whatever status it claims. The code is read from standard input
 * when it is `-` or not given, so it appears neither in `ps` nor in the shell's history. The
 * arguments are checked before anything connects.
 */
export async function verifyCommand(
  settings: CliSettings,
  resetId: string,
  code: string | undefined,
  options: VerifyOptions,
  output: CliOutput,
  input: CodeInput = { stream: process.stdin, isTTY: process.stdin.isTTY === true },
): Promise<number> {
  const verifyKeys = readVerifyKeys(options.verifyKey);
  const submission = checkedSubmission(resetId, code === undefined || code === CODE_FROM_STDIN ? await askCode(input, output) : code);
  return withClient(
    settings,
    async (client) => {
      const reply = await client.verify(submission.resetId, submission.code);
      const signature = verifyKeys ? '  signature=verified' : '';
      // Every value is the replier's text: escaped, so a reply cannot write to the terminal.
      const fields = Object.entries(reply)
        .filter(([key]) => key !== 'status' && key !== 'resetId')
        .map(([key, value]) => `${key}=${formatValue(value)}`);
      output.out(options.json ? JSON.stringify(verifyKeys ? { ...reply, verified: true } : reply) : `${[formatValue(reply.status), ...fields].join('  ')}${signature}`);
      return reply.status === 'completed' ? EXIT.ok : EXIT.failed;
    },
    { verifyKeys },
  );
}

async function askCode(input: CodeInput, output: CliOutput): Promise<string> {
  if (input.isTTY) output.err('type the code from the mail, then Enter:');
  return (await readLine(input.stream)).trim();
}
