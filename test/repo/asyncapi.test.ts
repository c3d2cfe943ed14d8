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

  it("points to the repository's own contract", () => {
    expect(text.split('\n')[0]).toContain('docs/contract.md');
    expect(text).not.toContain('../shared');
  });

  const document = parse(text) as {
    channels: Record<string, { title: string; 'x-jetstream'?: { stream: string } }>;
    components: { messages: Record<string, { payload: { $ref: string } }>; schemas: Record<string, Record<string, unknown>> };
  };
  const { schemas } = document.components;
  const events = [...Object.keys(inboundData), ...Object.keys(outboundData)];

  it('describes the envelope once, and each of the events as that envelope with its own type and data', () => {
    for (const type of events) {
      const message = Object.values(document.components.messages).find((m) => (m as { title?: string }).title === type)!;
      const payload = schemas[message.payload.$ref.split('/').pop()!]!;
      // resetd's own events name the deployment that published them (`resetdprefix`), and require it.
      const published = type in outboundData;
      const prefix = published ? { resetdprefix: { type: 'string', description: expect.stringMatching(/deployment/) } } : {};
      expect(payload.allOf, type).toEqual([
        { $ref: '#/components/schemas/CloudEvent' },
        expect.objectContaining({ properties: { type: { const: type }, data: { $ref: expect.stringMatching(/Data$/) }, ...prefix } }),
      ]);
      if (published) expect((payload.allOf as Array<{ required?: string[] }>)[1]!.required).toContain('resetdprefix');
    }
    // Nowhere else does `specversion` appear: the envelope is not repeated.
    expect(Object.keys(schemas).filter((id) => JSON.stringify(schemas[id]).includes('specversion'))).toEqual(['CloudEvent']);
  });

  it('forbids no unknown field anywhere, and states the compatibility rule instead', () => {
    expect(text).not.toMatch(/additionalProperties: false/);
    expect((parse(text) as { info: { description: string } }).info.description).toMatch(
      /within v1, fields and event types may be added, never removed or renamed\. Consumers\s+ignore fields and event types they do not know/,
    );
  });

  it('gives clientIp as one string with a note on its format, not a choice of schemas', () => {
    const withIp = Object.entries(schemas).filter(([, schema]) => (schema.properties as Record<string, unknown> | undefined)?.clientIp);
    expect(withIp.map(([id]) => id).sort()).toEqual(['ResetCodeSubmittedData', 'ResetPasswordChangedData', 'ResetRequestedData', 'VerifyRequest']);
    for (const [, schema] of withIp) {
      expect((schema.properties as Record<string, unknown>).clientIp).toEqual({ type: 'string', description: expect.stringMatching(/IPv4 or IPv6/) });
    }
  });

  it('names the stream of every event channel', () => {
    const streams = Object.fromEntries(Object.values(document.channels).map((channel) => [channel.title, channel['x-jetstream']?.stream]));
    for (const type of Object.keys(inboundData)) expect(streams[type], type).toBe('RESET_INBOX');
    for (const type of Object.keys(outboundData)) expect(streams[type], type).toBe('RESET_EVENTS');
    expect(streams['reset.verify']).toBeUndefined();
  });
});
