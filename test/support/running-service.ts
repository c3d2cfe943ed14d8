import { afterAll, beforeAll, expect } from 'vitest';
import { codeIn } from './mail-code.js';
import { TestClient, uniquePrefix } from './nats.js';
import { ServiceProcess } from './service-process.js';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from './smtp-sink.js';

export interface RunningService {
  readonly prefix: string;
  readonly sink: SmtpSink;
  readonly client: TestClient;
  readonly service: ServiceProcess;
}

export interface RunningServiceOptions {
  readonly sink?: SmtpSinkOptions;
  /** Extra environment, read when the service starts (after the file's own earlier `beforeAll`s). */
  readonly env?: () => Record<string, string | undefined>;
}

/**
 * The real service in a process of its own, with its own subject and key prefix, an SMTP sink
 * catching its mail, and a client watching its events: started before the tests of the enclosing
 * `describe`, stopped after them (it must exit 0), its streams deleted.
 */
export function useRunningService(label: string, options: RunningServiceOptions = {}): RunningService {
  const world = { prefix: uniquePrefix(label) } as { -readonly [K in keyof RunningService]: RunningService[K] };
  beforeAll(async () => {
    world.sink = await startSmtpSink(options.sink);
    world.client = await TestClient.connect(world.prefix);
    world.service = await ServiceProcess.start({
      RESET_SUBJECT_PREFIX: world.prefix,
      REDIS_KEY_PREFIX: world.prefix,
      SMTP_URL: world.sink.url,
      ...options.env?.(),
    });
    await world.client.watchEvents();
  });
  afterAll(async () => {
    expect(await world.service?.stop()).toBe(0);
    await world.client?.close();
    await world.sink?.stop();
  });
  return world;
}

/** Requests a reset for `<label>@example.com` and returns its id and the code mailed for it. */
export async function mailedReset(world: RunningService, label: string): Promise<{ resetId: string; code: string }> {
  const email = `${label}@example.com`;
  const resetId = await world.client.requestReset({ userId: `u-${label}`, email });
  await world.client.waitForEvent(resetId, 'reset.code.sent');
  return { resetId, code: codeIn((await world.sink.waitForMail(email)).text ?? '') };
}
