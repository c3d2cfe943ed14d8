import { describeRateLimiter } from '../../support/contracts/rate-limiter-contract.js';
import { InMemoryRateLimiter } from '../../support/fakes/in-memory-rate-limiter.js';

describeRateLimiter('InMemoryRateLimiter', async (clock) => {
  const limiter = new InMemoryRateLimiter(clock);
  // Instances of the service share one limiter, as they share one Redis.
  return { port: limiter, another: () => limiter };
});
