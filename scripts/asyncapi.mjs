// Writes asyncapi.yaml from the zod schemas (via the build): `npm run asyncapi`.
// test/repo/asyncapi.test.ts fails when the file and the schemas disagree.
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { asyncApiDocument } from '../dist/src/contract/asyncapi-document.js';

const HEADER = `# The AsyncAPI document of resetd's contract, docs/contract.md.
# Generated from src/contract/schemas.ts by \`npm run asyncapi\`: do not edit by hand.
`;

const target = new URL('../asyncapi.yaml', import.meta.url);
writeFileSync(target, HEADER + stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false }));
process.stdout.write(`wrote ${target.pathname}\n`);
