import { describeNoticeLedger } from '../../support/contracts/notice-ledger-contract.js';
import { InMemoryNoticeLedger } from '../../support/fakes/in-memory-notice-ledger.js';

describeNoticeLedger('InMemoryNoticeLedger', async (clock) => {
  const ledger = new InMemoryNoticeLedger(clock);
  // Instances of the service share one ledger, as they share one Redis.
  return { port: ledger, another: () => ledger };
});
