import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { asyncApiDocument } from '../../src/contract/asyncapi-document.js';
import { inboundData, outboundData } from '../../src/contract/schemas.js';

const FILE = new URL('../../asyncapi.yaml', import.meta.url);
const text = readFileSync(FILE, 'utf8');

describe('asyncapi.yaml', () => {
  it('is a valid AsyncAPI 3.0 document for the official parser', async () => {
    const { document, diagnostics } = await new Parser().parse(text);
    // Severity 0 is an error; warnings and hints are style advice.
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  }, 30_000);

  it('has a channel and a message for every event of the contract', async () => {
    const { document } = await new Parser().parse(text);
    const addresses = document!.channels().all().map((channel) => channel.address());
    for (const type of [...Object.keys(inboundData), ...Object.keys(outboundData), 'reset.verify']) {
      expect(addresses).toContain(type);
    }
    const verify = document!.operations().all().find((operation) => operation.id() === 'answerVerify');
    expect(verify?.reply()?.messages().all().map((message) => message.name())).toEqual(['VerifyReply']);
    expect(document!.messages().all()).toHaveLength(Object.keys(inboundData).length + Object.keys(outboundData).length + 2);
  }, 30_000);

  it('says what the schemas in the code say (run `npm run asyncapi` after changing them)', () => {
    expect(parse(text)).toEqual(asyncApiDocument());
  });
});
