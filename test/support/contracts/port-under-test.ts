import { afterEach, beforeEach } from 'vitest';
import { FixedClock } from '../fakes/fixed-clock.js';

/** One implementation of a port, fresh and empty, for one test. */
export interface PortUnderTest<Port> {
  readonly port: Port;
  /** A second instance on the same state, as another process of the service would have (Redis: another connection). */
  another(): Port;
  close?(): Promise<void>;
}

/** Makes a port whose every verdict (expiry, lease, window) is judged by `clock`. */
export type MakePort<Port> = (clock: FixedClock) => Promise<PortUnderTest<Port>>;

/** Makes a fresh port and clock before each test of the suite, and closes the port after it. */
export function usePort<Port>(make: MakePort<Port>): { readonly clock: FixedClock; readonly port: Port; another(): Port } {
  let clock: FixedClock | undefined;
  let made: PortUnderTest<Port> | undefined;
  const current = (): PortUnderTest<Port> => {
    if (!made) throw new Error('usePort: the port is made before each test only');
    return made;
  };
  beforeEach(async () => {
    clock = new FixedClock();
    made = await make(clock);
  });
  afterEach(async () => {
    await made?.close?.();
    made = undefined;
  });
  return {
    get clock() {
      if (!clock) throw new Error('usePort: the clock is made before each test only');
      return clock;
    },
    get port() {
      return current().port;
    },
    another: () => current().another(),
  };
}
