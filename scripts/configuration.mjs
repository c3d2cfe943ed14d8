// Writes docs/configuration.md and .env.example from the configuration schema (via the build):
// `npm run configuration`. test/repo/configuration.test.ts fails when either file and the schema disagree.
import { writeFileSync } from 'node:fs';
import { configurationMarkdown, envExample } from '../dist/src/app/env-reference.js';

for (const [file, text] of [['../docs/configuration.md', configurationMarkdown()], ['../.env.example', envExample()]]) {
  const target = new URL(file, import.meta.url);
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target.pathname}\n`);
}
