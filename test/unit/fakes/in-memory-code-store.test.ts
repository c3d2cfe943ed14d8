import { describeCodeStore } from '../../support/contracts/code-store-contract.js';
import { InMemoryCodeStore } from '../../support/fakes/in-memory-code-store.js';

describeCodeStore('InMemoryCodeStore', async (clock) => {
  const store = new InMemoryCodeStore(clock);
  // Instances of the service share one store, as they share one Redis.
  return { port: store, another: () => store };
});
