import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const run = promisify(execFile);

// What an auth service meets: a project of its own that depends on resetd, by path, and compiles
// the README's client code under `strict` against the built package (dist/). Besides resetd it has
// only @types/node, as every TypeScript project on Node does (resetd's public types name Node's
// KeyObject); taken from this checkout, so the test needs no registry. No @nats-io package.
describe('resetd/client in a project that depends on resetd alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'resetd-consumer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs by path and compiles the example with strict TypeScript, no other dependency', async () => {
    const types = `file:${join(ROOT, 'node_modules/@types/node')}`;
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { resetd: `file:${ROOT}` }, devDependencies: { '@types/node': types } }),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true }, include: ['auth.ts'] }),
    );
    copyFileSync(join(ROOT, 'examples/auth-service.ts'), join(dir, 'auth.ts'));
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir });

    const compiled = await run(process.execPath, [TSC, '-p', dir]).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(compiled).toBe('');
  }, 180_000);
});
