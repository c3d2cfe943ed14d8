#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, reportFailure } from './cli-error.js';
import { ProcessOutput, stdoutFailure, type CliOutput } from './cli-output.js';
import { cliSettings, type GlobalOptions } from './cli-settings.js';
import { collect } from './verify-keys.js';
import { isEntryPoint } from '../adapters/system/entry-point.js';
import { readDotEnvFile } from '../adapters/environment/dotenv-file.js';

/**
 * `resetd`: run the service, drive a reset by hand, watch its events, and look at its mail.
 * `onStart` is told when `start` has the service running, so the process is left to it; the
 * other commands write to `output`.
 */
export function buildProgram(onStart: () => void = () => undefined, output: CliOutput = new ProcessOutput()): Command {
  const program = new Command('resetd')
    .description('Password resets with one-time codes over NATS JetStream: run the service, or drive and watch it.')
    .option('--nats <urls>', 'NATS server(s), comma-separated (default: $NATS_URL or nats://127.0.0.1:4222)')
    .option('--redis <url>', 'Redis (default: $REDIS_URL or redis://127.0.0.1:6379)')
    .option('--prefix <prefix>', 'subject prefix of the deployment (default: $RESET_SUBJECT_PREFIX or reset)')
    .option('--verbose', 'print the stack and causes of a failure')
    .showSuggestionAfterError()
    .exitOverride();
  // The service's `.env` too: the CLI talks to the deployment that `npm start` in this directory runs.
  const settings = () => {
    readDotEnvFile();
    return cliSettings(program.opts<GlobalOptions>());
  };

  program
    .command('start')
    .description('run the service, as `npm start` does (configured by environment variables)')
    .action(async () => {
      const { main } = await import('../app/main.js');
      await main();
      onStart();
    });

  program
    .command('request')
    .description('publish reset.requested and print its outcome (exit 0 when the code was mailed)')
    .requiredOption('--user <userId>', 'the user asking for a reset')
    .requiredOption('--email <address>', 'where the code goes')
    .option('--locale <tag>', 'BCP 47 language of the mail, e.g. de or fr-CA')
    .option('--ip <address>', 'the client IP, for the per-IP limit')
    .option('--name <displayName>', 'how the mail greets the user')
    .option('--user-agent <text>', 'the client user agent, for the audit')
    .addOption(new Option('--timeout <seconds>', 'how long to wait for the outcome').default(30).argParser(positiveNumber))
    .option('--json', 'print the outcome event as one JSON line')
    .addOption(new Option('--verify-key <file>', "resetd's public key (PEM or JWK): the outcome must verify with it; repeat for rotation").argParser(collect))
    .action(async (options) => {
      const { requestCommand } = await import('./request-command.js');
      process.exitCode = await requestCommand(settings(), options, output);
    });

  program
    .command('verify')
    .description('check a code with reset.verify (exit 0 when the reset completed)')
    .argument('<resetId>', 'the id printed by `resetd request`')
    .argument('[code]', 'the code from the mail; `-` or none reads one line from standard input, which keeps the code out of `ps` and the shell history')
    .option('--json', 'print the reply as JSON')
    .addOption(new Option('--verify-key <file>', "resetd's public key (PEM or JWK): the reply must verify with it; repeat for rotation").argParser(collect))
    .addHelpText('after', '\nA code on the command line is seen by anyone who can list processes, and kept in the shell history:\n  resetd verify <resetId> -     then type the code (or pipe it in)')
    .action(async (resetId: string, code: string | undefined, options: { json?: boolean; verifyKey?: string[] }) => {
      const { verifyCommand } = await import('./verify-command.js');
      process.exitCode = await verifyCommand(settings(), resetId, code, options, output);
    });

  program
    .command('watch')
    .description('print each outcome event as it arrives, one line each, until Ctrl-C')
    .option('--json', 'print each event as one CloudEvent JSON line')
    .option('--all', 'start from the oldest event kept (7 days) rather than from now')
    .addOption(new Option('--count <n>', 'stop after n events').argParser(positiveInteger))
    .addOption(new Option('--verify-key <file>', "resetd's public key (PEM or JWK): say whether each event verified; repeat for rotation").argParser(collect))
    .action(async (options) => {
      const { watchCommand } = await import('./watch-command.js');
      process.exitCode = await watchCommand(settings(), options, output);
    });

  program
    .command('keygen')
    .description("make resetd's Ed25519 signing key pair (PEM files) and print the public key and its kid")
    .option('--out <dir>', 'where to write resetd-signing.key (private, 0600) and resetd-signing.pub', '.')
    .action(async (options: { out: string }) => {
      const { keygenCommand } = await import('./keygen-command.js');
      process.exitCode = keygenCommand(options, output);
    });

  program
    .command('preview')
    .description('render the code mail with a sample code, without sending it')
    .option('--locale <tag>', 'language of the mail', 'en')
    .option('--name <displayName>', 'the name in the greeting')
    .option('--product <name>', 'product name (default: $MAIL_PRODUCT_NAME or resetd)')
    .option('--out <file>', 'write the HTML part to this file')
    .option('--html', 'print the HTML part rather than the text part')
    .action(async (options) => {
      const { previewCommand } = await import('./preview-command.js');
      process.exitCode = await previewCommand(settings(), options, output);
    });

  program
    .command('status')
    .description('show the streams, the inbox consumer and whether Redis answers')
    .action(async () => {
      const { statusCommand } = await import('./status-command.js');
      process.exitCode = await statusCommand(settings(), output);
    });

  program
    .command('demo')
    .description('start the service on the local NATS and Redis and run one whole reset, told as it happens')
    .action(async () => {
      const { demoCommand } = await import('./demo-command.js');
      process.exitCode = await demoCommand(settings(), output);
    });

  return program;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number above 0.');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a whole number above 0.');
  return n;
}

async function run(argv: string[]): Promise<void> {
  let keepRunning = false;
  const output = new ProcessOutput();
  const program = buildProgram(() => (keepRunning = true), output);
  let failure: unknown;
  try {
    await program.parseAsync(argv);
  } catch (error) {
    failure = error;
  }
  // The service runs until a signal stops it; every other command is done, even if a socket lingers.
  if (keepRunning) return;
  // process.exit() does not wait for a pipe: output past what the pipe holds (64 KiB) would be lost.
  // Waiting also lets a write that failed say so before the end is decided.
  await flushed(process.stdout);
  // Once stdout has failed, that is how the command ended, whatever it made of it since.
  if (output.closed.aborted) {
    process.exitCode = EXIT.ok;
    failure = stdoutFailure(output.closed.reason);
  }
  if (failure instanceof CommanderError) {
    // Commander has printed the help or the usage error already.
    process.exitCode = failure.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (failure !== undefined) {
    process.exitCode = reportFailure(failure, program.opts<GlobalOptions>().verbose === true, (line) => output.err(line));
  }
  await flushed(process.stderr);
  process.exit();
}

/** Resolves once what was written to `stream` before is written, or has failed. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

if (isEntryPoint(import.meta.url)) await run(process.argv);
