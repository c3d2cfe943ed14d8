import 'reflect-metadata';
import type { Logger } from 'pino';
import { ConfigError } from '../adapters/environment/config-error.js';
import { isEntryPoint } from '../adapters/system/entry-point.js';
import { natsPermissionLine, streamSetupLine } from './stream-setup-line.js';
import { TOKENS } from './tokens.js';

/**
 * Starts resetd and stops it cleanly on SIGTERM or SIGINT, at any moment: a stop during the start
 * abandons it, closes what it had opened and exits 0, as a stop afterwards does. A bad
 * configuration, or a setting a server refuses (the SMTP login, stream limits, a subject the NATS
 * user's permissions do not allow), exits 2; NATS or Redis it cannot use, or a taken operators'
 * port, exits 1; each told in lines of `resetd: …` on stderr, with no stack (docs/operations.md,
 * Start-up errors).
 */
export async function main(): Promise<void> {
  // Heard before the rest loads (that takes most of a second), and by one handler for the whole
  // life: until the service has started, a signal aborts `starting` and each step gives up at once.
  const starting = new AbortController();
  let stop: ((signal: NodeJS.Signals) => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => (stop ? stop(signal) : starting.abort(signal));
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const step = <T>(work: () => T | Promise<T>) => untilAborted(starting.signal, work);
  const started: StartedSoFar = {};
  try {
    const [{ readDotEnvFile }, { loadConfig }, { createLogger }, { setUpTelemetry }, { openConnections, UnreachableError }, { buildContainer, resolve }, { StreamSetupError, permissionRefusalOf }] =
      await step(loadModules);
    const fromDotEnv = await stoppingOnConfigError(() => readDotEnvFile());
    const config = await stoppingOnConfigError(() => loadConfig());
    const log = createLogger(config.logLevel);
    started.log = log;
    if (fromDotEnv.length > 0) log.info({ variables: fromDotEnv }, `read ${fromDotEnv.length} variables from .env`);
    if (config.developmentDefaults.length > 0) {
      log.warn({ defaults: config.developmentDefaults }, `development defaults in use for ${config.developmentDefaults.join(', ')}; never run like this in production`);
    }
    for (const warning of config.settingWarnings) log.warn(warning);
    if (config.unknownVariables.length > 0) {
      log.warn({ variables: config.unknownVariables }, `ignoring variables resetd does not read: ${config.unknownVariables.join(', ')}`);
    }
    const telemetry = setUpTelemetry({ serviceName: config.serviceName, tracing: config.tracing, log });
    started.close = () => telemetry.shutdown();
    /** Throws a refusal by NATS that a setting explains as the ConfigError of its one line, anything else as it is. */
    const explaining = (error: unknown): never => {
      if (error instanceof StreamSetupError) throw new ConfigError(streamSetupLine(error.problem, config.nats.subjectPrefix));
      const refusal = permissionRefusalOf(error);
      throw refusal ? new ConfigError(natsPermissionLine(refusal, config.nats.subjectPrefix)) : error;
    };
    let connections;
    try {
      // The JetStream check there is the first request: a reply prefix the user may not subscribe to fails it.
      connections = await stoppingOnConfigError(() => step(() => openConnections(config, log, starting.signal)).catch(explaining));
    } catch (error) {
      if (error instanceof UnreachableError) {
        process.stderr.write(`resetd: ${error.message}\n`);
        process.exit(1);
      }
      throw error;
    }
    const container = buildContainer(config, connections, log, telemetry);
    const service = await stoppingOnConfigError(() => resolve(container, TOKENS.ResetService));
    const ops = resolve(container, TOKENS.OpsServer);
    const shutDown = async () => {
      await service.stop();
      await ops.stop();
      // The spans of the last resets, sent before the process ends.
      await telemetry.shutdown();
    };
    started.close = shutDown;
    let stopping: Promise<void> | undefined;
    // The NATS client gives up only when the server refuses the login twice in a row (credentials
    // changed or expired): a process cut off from the bus for good exits, to be started again with
    // the credentials as they are now, instead of running on and serving nothing.
    void connections.nc.closed().then((error) => {
      if (stopping || starting.signal.aborted) return;
      log.fatal({ err: error }, 'the NATS connection closed for good; exiting');
      process.exit(1);
    });
    // A server that refuses the login or the certificate stops the start; one merely down does not.
    if (config.smtp) await stoppingOnConfigError(() => step(() => resolve(container, TOKENS.SmtpStartCheck).run()));
    try {
      await ops.start();
    } catch (error) {
      process.stderr.write(`resetd: cannot listen on OPS_HTTP_HOST ${config.ops.host} OPS_HTTP_PORT ${config.ops.port}: ${(error as Error).message}\n`);
      process.exit(1);
    }
    await stoppingOnConfigError(() => step(() => service.start()).catch(explaining));
    stop = (signal) => {
      log.info({ signal }, 'stop requested');
      stopping ??= shutDown().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'stopping failed');
          process.exit(1);
        },
      );
    };
  } catch (error) {
    if (!starting.signal.aborted) throw error;
    await abandonStart(String(starting.signal.reason), started);
  }
}

/** The modules of the start, loaded once the signals are heard. */
const loadModules = () =>
  Promise.all([
    import('../adapters/environment/dotenv-file.js'),
    import('./config.js'),
    import('./logger.js'),
    import('./telemetry.js'),
    import('./connections.js'),
    import('./container.js'),
    import('../adapters/nats/jetstream-streams.js'),
  ]);

/** How far the start got: its logger once made, and what closes what it has opened. */
interface StartedSoFar {
  log?: Logger;
  close?: () => Promise<void>;
}

/** `work()`, or at once the reason `signal` aborts with; what `work` ends with after that is let be. */
async function untilAborted<T>(signal: AbortSignal, work: () => T | Promise<T>): Promise<T> {
  signal.throwIfAborted();
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Ends a start stopped by `signal`: closes what it had opened, says so in one line (on stderr
 * while there is no logger yet) and exits 0. Nothing was in flight, so a close that fails, or
 * waits on a server that stopped answering, loses nothing: it is given ABANDON_MS at most.
 */
async function abandonStart(signal: string, { log, close }: StartedSoFar): Promise<never> {
  if (close) await Promise.race([close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, ABANDON_MS))]);
  if (log) log.info({ signal }, 'stopped during start');
  else process.stderr.write(`resetd: stopped during start (${signal})\n`);
  process.exit(0);
}

const ABANDON_MS = 3_000;

/** Runs a start-up step; a ConfigError ends the process with its one line and exit code 2 (configuration). */
async function stoppingOnConfigError<T>(step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`resetd: ${problem}\n`);
      process.exit(2);
    }
    throw error;
  }
}

// `npm start` runs this file; `resetd start` imports it and calls main() itself.
if (isEntryPoint(import.meta.url)) await main();
