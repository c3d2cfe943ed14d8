import 'reflect-metadata';
import { StreamSetupError } from '../adapters/nats/jetstream-streams.js';
import { isEntryPoint } from './entry-point.js';
import { ConfigError, loadConfig } from './config.js';
import { openConnections, UnreachableError } from './connections.js';
import { buildContainer, resolve } from './container.js';
import { readDotEnvFile } from './dotenv-file.js';
import { createLogger } from './logger.js';
import { streamSetupLine } from './stream-setup-line.js';
import { TOKENS } from './tokens.js';
import { setUpTelemetry } from './telemetry.js';

/**
 * Starts resetd and stops it cleanly on SIGTERM or SIGINT. A bad configuration exits 2 and a
 * server it cannot use exits 1, each told in lines of `resetd: …` on stderr, with no stack.
 */
export async function main(): Promise<void> {
  const fromDotEnv = await stoppingOnConfigError(() => readDotEnvFile());
  const config = await stoppingOnConfigError(() => loadConfig());
  const log = createLogger(config.logLevel);
  if (fromDotEnv.length > 0) log.info({ variables: fromDotEnv }, `read ${fromDotEnv.length} variables from .env`);
  if (config.developmentDefaults.length > 0) {
    log.warn({ defaults: config.developmentDefaults }, `development defaults in use for ${config.developmentDefaults.join(', ')}; never run like this in production`);
  }
  const telemetry = setUpTelemetry({ serviceName: config.serviceName, tracing: config.tracing, log });
  let connections;
  try {
    connections = await stoppingOnConfigError(() => openConnections(config, log));
  } catch (error) {
    if (error instanceof UnreachableError) {
      process.stderr.write(`resetd: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const container = buildContainer(config, connections, log, telemetry);
  // A server that refuses the login or the certificate stops the start; one merely down does not.
  if (config.smtp) await stoppingOnConfigError(() => resolve(container, TOKENS.SmtpStartCheck).run());
  const service = resolve(container, TOKENS.ResetService);
  const ops = resolve(container, TOKENS.OpsServer);
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    log.info({ signal }, 'stop requested');
    stopping ??= service.stop().then(
      async () => {
        await ops.stop();
        // The spans of the last resets, sent before the process ends.
        await telemetry.shutdown();
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  // The NATS client gives up only when the server refuses the login twice in a row (credentials
  // changed or expired): a process cut off from the bus for good exits, to be started again with
  // the credentials as they are now, instead of running on and serving nothing.
  void connections.nc.closed().then((error) => {
    if (stopping) return;
    log.fatal({ err: error }, 'the NATS connection closed for good; exiting');
    process.exit(1);
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await ops.start();
  } catch (error) {
    process.stderr.write(`resetd: cannot listen on OPS_HTTP_HOST ${config.ops.host} OPS_HTTP_PORT ${config.ops.port}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  await stoppingOnConfigError(() =>
    service.start().catch((error: unknown) => {
      throw error instanceof StreamSetupError ? new ConfigError(streamSetupLine(error.problem, config.nats.subjectPrefix)) : error;
    }),
  );
}

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
