import { Readable } from 'node:stream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/client/index.js';
import { buildProgram } from '../../src/cli/cli.js';
import type { CliOutput } from '../../src/cli/cli-output.js';
import { cliSettings } from '../../src/cli/cli-settings.js';
import { verifyCommand, type CodeInput } from '../../src/cli/verify-command.js';
import { requestDigestOf } from '../../src/contract/request-digest.js';
import { subjectsFor } from '../../src/contract/subjects.js';
import { NATS_URL, uniquePrefix } from '../support/nats.js';

/** What a command wrote, line by line. */
function recorded(): CliOutput & { out: (text: string) => void; lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (text) => void lines.push(text), err: (text) => void errors.push(text) };
}

const piped = (text: string): CodeInput => ({ stream: Readable.from([text]), isTTY: false });

describe('resetd verify', () => {
  let nc: NatsConnection;
  const prefix = uniquePrefix('cliverify');
  const settings = cliSettings({ nats: NATS_URL, prefix }, {});
  const codes: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    // Answers as resetd would, unsigned (the CLI here holds no key), with a detail that holds escape sequences.
    nc.subscribe(subjectsFor(prefix).verify, {
      callback: (_, msg) => {
        const request = msg.json<{ resetId: string; code: string; nonce: string }>();
        codes.push(request.code);
        msg.respond(
          JSON.stringify({ resetId: request.resetId, status: 'invalid_code', attemptsRemaining: 4, detail: 'x\u001b[1A\u001b[2K\rcompleted', nonce: request.nonce, requestDigest: requestDigestOf(msg.data) }),
        );
      },
    });
    await nc.flush();
  });

  afterAll(async () => {
    await nc.close();
  });

  it('reads the code from standard input when it is - or not given, so it stays out of ps and the shell history', async () => {
    codes.length = 0;
    for (const code of ['-', undefined]) {
      const output = recorded();
      expect(await verifyCommand(settings, 'r-1', code, {}, output, piped(' 482913\nnext line\n'))).toBe(1);
      expect(output.lines).toHaveLength(1);
    }
    expect(codes).toEqual(['482913', '482913']);
    // A script's positional code still works.
    await verifyCommand(settings, 'r-1', '123456', {}, recorded(), piped(''));
    expect(codes.at(-1)).toBe('123456');
  });

  it("escapes every value of the reply it prints: the replier's text must not write to the terminal", async () => {
    const output = recorded();
    await verifyCommand(settings, 'r-1', '123456', {}, output);
    expect(output.lines).toEqual(['invalid_code  attemptsRemaining=4  detail="x\\u001b[1A\\u001b[2K\\rcompleted"']);
  });

  it('checks its arguments before it connects: an empty code from standard input, a bad id', async () => {
    const nowhere = cliSettings({ nats: 'nats://127.0.0.1:1', prefix }, {});
    await expect(verifyCommand(nowhere, 'r-1', undefined, {}, recorded(), piped(''))).rejects.toThrow(InvalidRequestError);
    await expect(verifyCommand(nowhere, 'r-1', '-', {}, recorded(), piped(''))).rejects.toThrow(/The field code must not be empty/);
    await expect(verifyCommand(nowhere, 'r-\u0007', '123456', {}, recorded())).rejects.toThrow(/The field resetId must not contain control characters/);
  });

  it('says in --help that - keeps the code out of ps and the shell history', () => {
    const help = buildProgram().commands.find((command) => command.name() === 'verify')!.helpInformation();
    expect(help).toMatch(/verify \[options\] <resetId> \[code\]/);
    expect(help.replace(/\s+/g, ' ')).toContain('`-` or none reads one line from standard input, which keeps the code out of `ps` and the shell history');
  });
});
