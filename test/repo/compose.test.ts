import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serviceNodeFlags } from '../support/service-node-flags.js';
import { WORST_DRAIN_SECONDS } from '../support/worst-drain.js';

// `docker compose up` is how the README runs the whole stack; Docker is not on every machine
// that runs the tests, so this checks the files themselves.
const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  ports?: unknown[];
  healthcheck?: { test?: unknown; interval?: string };
  depends_on?: Record<string, { condition?: string }>;
  environment?: Record<string, string>;
  secrets?: string[];
  stop_grace_period?: string;
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; secrets?: Record<string, { file: string }> };

  it.each(['nats', 'redis', 'mailpit', 'jaeger', 'resetd'])('runs %s with an image or a build, ports and a health check', (name) => {
    const service = compose.services[name];
    expect(service, name).toBeDefined();
    expect(service!.image ?? service!.build, `${name}: image or build`).toBeTruthy();
    expect(service!.ports?.length ?? 0, `${name}: ports`).toBeGreaterThan(0);
    const test = service!.healthcheck?.test;
    expect(Array.isArray(test) && ['CMD', 'CMD-SHELL'].includes(String(test[0])) && test.length > 1, `${name}: healthcheck.test`).toBe(true);
  });

  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image === undefined) continue;
      expect(service.image, name).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
    }
  });

  it('builds resetd from the Dockerfile and wires it to the other services', () => {
    const resetd = compose.services.resetd!;
    expect(resetd.build).toBe('.');
    expect(resetd.environment).toMatchObject({
      NODE_ENV: 'production',
      NATS_URL: 'nats://nats:4222',
      REDIS_URL: 'redis://redis:6379',
      SMTP_URL: 'smtp://mailpit:1025',
      // Mailpit speaks plain SMTP; without this, production refuses to send without STARTTLS.
      SMTP_ALLOW_PLAINTEXT: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
    });
    expect(Object.keys(resetd.depends_on ?? {}).sort()).toEqual(['jaeger', 'mailpit', 'nats', 'redis']);
    for (const secret of resetd.secrets ?? []) {
      const file = compose.secrets?.[secret]?.file;
      expect(file && existsSync(new URL(file, root)), `secret ${secret}`).toBe(true);
    }
  });

  it('runs NATS on deploy/nats/nats-server.conf, resetd as its own user with its inbox prefix and a signing key', () => {
    const nats = compose.services.nats as Service & { command?: string[]; volumes?: string[] };
    expect(nats.command?.slice(0, 2)).toEqual(['-c', '/etc/nats/nats-server.conf']);
    expect(nats.volumes).toContain('./deploy/nats:/etc/nats:ro');
    const resetd = compose.services.resetd!;
    expect(resetd.environment).toMatchObject({ NATS_USER: 'resetd', NATS_PASSWORD: nats.environment?.NATS_RESETD_PASSWORD, NATS_INBOX_PREFIX: '_INBOX_resetd' });
    expect(resetd.environment?.RESET_SIGNING_KEY_FILE).toBe('/run/secrets/signing_key');
    expect(resetd.secrets).toContain('signing_key');
  });

  // "ip:host:container" in the short syntax.
  const published = Object.values(compose.services).flatMap((service) => (service.ports ?? []).map((port) => String(port).split(':')));

  it('publishes the ports the README names: NATS, Mailpit, Jaeger and the operators port', () => {
    expect(published.map((parts) => parts.at(-2))).toEqual(expect.arrayContaining(['4222', '6379', '1025', '8025', '16686', '4318', '9464']));
  });

  it('gives resetd longer than a drain to stop before it is killed', () => {
    const grace = /^(\d+)s$/.exec(compose.services.resetd!.stop_grace_period ?? '')?.[1];
    expect(Number(grace)).toBeGreaterThan(WORST_DRAIN_SECONDS);
  });

  it('publishes every port on 127.0.0.1 only: its logins are in the file, or none', () => {
    for (const parts of published) expect(parts, parts.join(':')).toHaveLength(3);
    for (const parts of published) expect(parts[0], parts.join(':')).toBe('127.0.0.1');
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages = lines.filter((line) => /^FROM\s/i.test(line));
  const lastStage = lines.slice(lines.lastIndexOf(stages.at(-1)!));

  it('is multi-stage: the runtime copies the build from a stage before it', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(lastStage.some((line) => /^COPY\s+--from=\S+\s/i.test(line))).toBe(true);
  });

  it('installs production dependencies only in the runtime stage', () => {
    const installs = lastStage.filter((line) => /\bnpm\s+(ci|install)\b/.test(line));
    expect(installs.length).toBeGreaterThan(0);
    for (const line of installs) expect(line).toMatch(/--omit=dev|--production/);
  });

  it('runs as a user other than root, with a health check', () => {
    const user = lastStage.filter((line) => /^USER\s/i.test(line)).at(-1);
    expect(user).toBeDefined();
    expect(user!.split(/\s+/)[1]).not.toMatch(/^(root|0)(:|$)/);
    expect(lastStage.some((line) => /^HEALTHCHECK\s+(--\S+\s+)*CMD\s/i.test(line))).toBe(true);
    expect(lastStage.at(-1)).toMatch(/^CMD\s+\["node",( "--[^"]+",)* "dist\/src\/app\/main\.js"\]/);
  });

  it('starts node with the same flags as `npm start`', () => {
    const cmd = JSON.parse(lastStage.at(-1)!.replace(/^CMD\s+/, '')) as string[];
    expect(cmd.slice(1, -1)).toEqual(serviceNodeFlags(root));
  });
});
