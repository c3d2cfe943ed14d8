import { defineConfig } from 'vitest/config';

// Tests that spawn the real entry point run the compiled build, as `npm start` does.
const BUILD = 'test/support/global-setup.ts';

const project = (name: string, timeout: number, extra: Record<string, unknown> = {}) => ({
  extends: true as const,
  test: { name, include: [`test/${name}/**/*.test.ts`], testTimeout: timeout, hookTimeout: timeout, ...extra },
});

export default defineConfig({
  test: {
    setupFiles: ['test/support/setup.ts'],
    projects: [
      project('unit', 5_000),
      // Checks of the repository's own files (docs, generated files, manifests) against the code.
      project('repo', 30_000),
      project('integration', 30_000),
      // Tests that start the service share the two cores; running their files one at a time keeps timings honest.
      project('e2e', 60_000, { fileParallelism: false, globalSetup: [BUILD] }),
      project('faults', 240_000, { fileParallelism: false, globalSetup: [BUILD] }),
      // Clusters of NATS and Redis on loopback, one file at a time: each starts and kills its own nodes.
      project('cluster', 300_000, { fileParallelism: false, globalSetup: [BUILD] }),
    ],
  },
});
