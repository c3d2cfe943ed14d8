import 'reflect-metadata';
import { ConfigError, loadConfig } from './config.js';
import { openConnections, UnreachableError } from './connections.js';
import { buildContainer } from './container.js';
import { createLogger } from './logger.js';
import { ResetService } from './reset-service.js';

/** Starts resetd and stops it cleanly on SIGTERM or SIGINT. */
export async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`resetd: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  if (config.developmentDefaults.length > 0) {
    log.warn({ defaults: config.developmentDefaults }, `development defaults in use for ${config.developmentDefaults.join(', ')}; never run like this in production`);
  }
  let connections;
  try {
    connections = await openConnections(config, log);
  } catch (error) {
    if (error instanceof UnreachableError) {
      process.stderr.write(`resetd: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const service = buildContainer(config, connections, log).get(ResetService);
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    log.info({ signal }, 'stop requested');
    stopping ??= service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await service.start();
}

await main();
