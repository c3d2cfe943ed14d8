import { describeOwedEvents } from '../../support/contracts/owed-events-contract.js';
import { InMemoryOwedEvents } from '../../support/fakes/in-memory-owed-events.js';

describeOwedEvents('InMemoryOwedEvents', async () => {
  const owed = new InMemoryOwedEvents();
  return { port: owed, another: () => owed };
});
