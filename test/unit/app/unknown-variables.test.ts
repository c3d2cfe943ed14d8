import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { readDotEnvFile } from '../../../src/adapters/environment/dotenv-file.js';
import { unknownVariables } from '../../../src/app/unknown-variables.js';

const KNOWN = ['RESET_SUBJECT_PREFIX', 'RESET_COOLDOWN_SECONDS', 'OTP_TTL_SECONDS', 'SMTP_POOL', 'NATS_URL', 'NATS_USER', 'LOG_LEVEL', 'NODE_ENV', 'OTEL_SERVICE_NAME'];
const dir = mkdtempSync(join(tmpdir(), 'resetd-unknown-'));

describe('variables that look like resetd’s but are none of them', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are named, with the known name one or two slips away, in any case', () => {
    expect(unknownVariables(['RESET_SUBJECT_PREFX', 'reset_cooldown_seconds', 'LOG_LEVLE', 'RESET_CODE_TTL'], KNOWN)).toEqual([
      'RESET_SUBJECT_PREFX (did you mean RESET_SUBJECT_PREFIX?)',
      'reset_cooldown_seconds (did you mean RESET_COOLDOWN_SECONDS?)',
      'LOG_LEVLE (did you mean LOG_LEVEL?)',
      'RESET_CODE_TTL',
    ]);
  });

  it('suggest nothing for a short name more than one slip away: SMTP_HOST is no SMTP_POOL', () => {
    expect(unknownVariables(['SMTP_HOST', 'NATS_USR'], KNOWN)).toEqual(['SMTP_HOST', 'NATS_USR (did you mean NATS_USER?)']);
  });

  it("leave alone resetd's own names, other prefixes, and NODE_/OTEL_ variables Node.js and the OpenTelemetry SDK read", () => {
    expect(unknownVariables([...KNOWN, 'PATH', 'HOME', 'RESETD_HOME', 'NODE_OPTIONS', 'OTEL_RESOURCE_ATTRIBUTES'], KNOWN)).toEqual([]);
    // Some of the SDK's are a letter from resetd's own: only one of resetd's names in another case is named there.
    expect(unknownVariables(['OTEL_SERVICE_NAM', 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', 'node_env', 'Otel_Service_Name'], [...KNOWN, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'])).toEqual([
      'node_env (did you mean NODE_ENV?)',
      'Otel_Service_Name (did you mean OTEL_SERVICE_NAME?)',
    ]);
  });

  it('leave alone what Kubernetes sets for the Services of a namespace (a Service named redis or nats)', () => {
    const injected = ['REDIS_PORT', 'REDIS_SERVICE_HOST', 'REDIS_SERVICE_PORT', 'REDIS_SERVICE_PORT_CLIENT', 'NATS_PORT_4222_TCP', 'NATS_PORT_4222_TCP_ADDR', 'NATS_PORT_4222_TCP_PROTO', 'NATS_PORT_4222_TCP_PORT'];
    expect(unknownVariables(injected, KNOWN)).toEqual([]);
  });

  it("are warned about, never refused: another program's REDIS_ or NATS_ variable starts the service", () => {
    const config = loadConfig({ NATS_SERVER_NAME: 'n-1', REDIS_HOST: 'cache', RESET_SUBJECT_PREFX: 'acme', reset_cooldown_seconds: '5' });
    expect(config.unknownVariables).toEqual(['NATS_SERVER_NAME', 'REDIS_HOST', 'RESET_SUBJECT_PREFX (did you mean RESET_SUBJECT_PREFIX?)', 'reset_cooldown_seconds (did you mean RESET_COOLDOWN_SECONDS?)']);
    expect(config.nats.subjectPrefix).toBe('reset');
    expect(loadConfig({ RESET_SUBJECT_PREFIX: 'acme', NODE_OPTIONS: '--enable-source-maps' }).unknownVariables).toEqual([]);
  });

  it('include those a .env file brought in', () => {
    const file = join(dir, '.env');
    writeFileSync(file, 'RESET_CODE_TTL=30\nRATE_USER_PER_DAYS=3\nOTP_TTL_SECONDS=900\n');
    const environment: NodeJS.ProcessEnv = {};
    readDotEnvFile(environment, file);
    expect(loadConfig(environment).unknownVariables).toEqual(['RESET_CODE_TTL', 'RATE_USER_PER_DAYS (did you mean RATE_USER_PER_DAY?)']);
  });
});
