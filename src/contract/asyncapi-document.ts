import { z } from 'zod';
import { clientIp, cloudEventEnvelope, codeSubmittedData, inboundData, outboundData, outboundEvent, verifyReply, verifyRequest, type InboundType, type OutboundType } from './schemas.js';
import { SIGNATURE_HEADER } from './message-signature.js';
import { subjectsFor } from './subjects.js';

/**
 * The AsyncAPI 3.0 document of the contract (docs/contract.md), built from the zod schemas the service
 * validates with: `npm run asyncapi` writes it to asyncapi.yaml, and a test fails when the file
 * and this function disagree. Described from resetd's side: it receives commands and sends facts.
 */
export function asyncApiDocument(): Record<string, unknown> {
  const subjects = subjectsFor('reset');
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};

  for (const [type, about] of Object.entries(INBOUND) as Array<[InboundType, Described]>) {
    const channel = camel(type);
    const message = pascal(type);
    channels[channel] = {
      address: subjects.event(type),
      title: type,
      description: `${about.description} Stored in \`${subjects.inboxStream}\` (work queue) until handled.`,
      messages: { [message]: { $ref: `#/components/messages/${message}` } },
      // AsyncAPI's NATS bindings have nothing for JetStream: the stream is named in an extension.
      'x-jetstream': { stream: subjects.inboxStream, retention: 'workqueue' },
    };
    operations[`receive${message}`] = {
      action: 'receive',
      title: `Take ${type}`,
      summary: about.outcome,
      channel: { $ref: `#/channels/${channel}` },
      messages: [{ $ref: `#/channels/${channel}/messages/${message}` }],
    };
    messages[message] = eventMessage(type, message, about, 'JetStreamHeaders');
  }

  channels.resetVerify = {
    address: subjects.verify,
    title: 'reset.verify',
    description:
      'Core NATS request-reply, captured by no stream. Served by every instance in the queue group `resetd`, so exactly one ' +
      'instance answers each request. Same effects and same outbound events as `reset.code.submitted`, except that a ' +
      'request that cannot be read (not JSON, a missing field, a CloudEvent envelope) is answered `invalid_request` with a ' +
      '`detail` in the reply alone and publishes nothing.',
    messages: { VerifyRequest: { $ref: '#/components/messages/VerifyRequest' } },
  };
  channels.resetVerifyReply = {
    address: null,
    title: 'reset.verify reply',
    description: "The requester's reply subject (its inbox), which NATS sets on each request.",
    messages: { VerifyReply: { $ref: '#/components/messages/VerifyReply' } },
  };
  operations.answerVerify = {
    action: 'receive',
    title: 'Answer reset.verify',
    summary:
      'Checks a code and replies with the status; `unavailable` means a fault or an instance holding its maximum of verifies: ' +
      'nothing was checked, no try was spent, retry.',
    channel: { $ref: '#/channels/resetVerify' },
    messages: [{ $ref: '#/channels/resetVerify/messages/VerifyRequest' }],
    reply: { channel: { $ref: '#/channels/resetVerifyReply' }, messages: [{ $ref: '#/channels/resetVerifyReply/messages/VerifyReply' }] },
    bindings: { nats: { queue: 'resetd', bindingVersion: '0.1.0' } },
  };
  messages.VerifyRequest = {
    name: 'VerifyRequest',
    title: 'reset.verify request',
    summary: 'The `data` of `reset.code.submitted`, as plain JSON without an envelope.',
    contentType: 'application/json',
    headers: { $ref: '#/components/schemas/TraceHeaders' },
    payload: { $ref: '#/components/schemas/VerifyRequest' },
    examples: [{ name: 'aCode', payload: codeSubmittedData.parse({ resetId: EXAMPLE_RESET_ID, code: '482913' }) }],
  };
  messages.VerifyReply = {
    name: 'VerifyReply',
    title: 'reset.verify reply',
    contentType: 'application/json',
    headers: { $ref: '#/components/schemas/SignedReplyHeaders' },
    payload: { $ref: '#/components/schemas/VerifyReply' },
    examples: [{ name: 'wrongCode', payload: verifyReply.parse({ resetId: EXAMPLE_RESET_ID, status: 'invalid_code', attemptsRemaining: 4 }) }],
  };

  for (const [type, about] of Object.entries(OUTBOUND) as Array<[OutboundType, Described]>) {
    const channel = camel(type);
    const message = pascal(type);
    channels[channel] = {
      address: subjects.event(type),
      title: type,
      description: `${about.description} Kept in \`${subjects.eventsStream}\` for 7 days; read it with a durable consumer of your own.`,
      messages: { [message]: { $ref: `#/components/messages/${message}` } },
      'x-jetstream': { stream: subjects.eventsStream, retention: 'limits' },
    };
    operations[`send${message}`] = {
      action: 'send',
      title: `Publish ${type}`,
      channel: { $ref: `#/channels/${channel}` },
      messages: [{ $ref: `#/channels/${channel}/messages/${message}` }],
    };
    messages[message] = eventMessage(type, message, about, 'SignedEventHeaders');
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'resetd',
      version: '1.0.0',
      description: DESCRIPTION,
      license: { name: 'UNLICENSED' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:4222',
        protocol: 'nats',
        description: 'NATS with JetStream, as `docker compose up` and the tests run it.',
      },
    },
    channels,
    operations,
    components: { messages, schemas: { ...HEADER_SCHEMAS, ...payloadSchemas() } },
  };
}

interface Described {
  readonly description: string;
  readonly outcome?: string;
  readonly example: Record<string, unknown>;
}

const EXAMPLE_RESET_ID = '2ecd40fb-653f-4c6d-bb26-387e5b02574f';
const EXAMPLE_TIME = '2030-01-01T12:00:00.000Z';

const INBOUND: Record<InboundType, Described> = {
  'reset.requested': {
    description: "A user asked to reset their password. The event's `id` becomes the reset's id, `resetId`, for the whole flow.",
    outcome: 'Exactly one of reset.code.sent, reset.rejected, reset.delivery.failed for that resetId; a repeat sends no second mail.',
    example: { userId: 'u-42', email: 'ada@example.com', locale: 'de', displayName: 'Ada Lovelace', clientIp: '203.0.113.7' },
  },
  'reset.code.submitted': {
    description: 'The user typed a code. The 5th wrong code answers `invalid_code` with no tries left and locks the reset.',
    outcome: 'Exactly one of reset.completed, reset.verification.failed.',
    example: { resetId: EXAMPLE_RESET_ID, code: '482913', clientIp: '203.0.113.7' },
  },
  'reset.password.changed': {
    description: 'The auth service set the new password; resetd mails the user a notice, as OWASP advises. Not rate-limited.',
    outcome: 'reset.notice.sent, or reset.rejected / reset.delivery.failed as for a request; idempotent per event id for 24 h.',
    example: { userId: 'u-42', email: 'ada@example.com', resetId: EXAMPLE_RESET_ID, changedAt: EXAMPLE_TIME },
  },
};

const OUTBOUND: Record<OutboundType, Described> = {
  'reset.code.sent': {
    description: 'The code was mailed: published only after the SMTP server accepted the mail.',
    example: { resetId: EXAMPLE_RESET_ID, userId: 'u-42', expiresAt: EXAMPLE_TIME },
  },
  'reset.rejected': {
    description: 'A request or submission was refused: rate limited, in the cooldown, or invalid (`detail` names the field or the limit).',
    example: { resetId: EXAMPLE_RESET_ID, eventId: EXAMPLE_RESET_ID, userId: 'u-42', reason: 'cooldown', retryAfterSeconds: 42, detail: 'A code was sent to this user moments ago; retry after 42 s.' },
  },
  'reset.delivery.failed': {
    description: 'The mail could not be delivered: a permanent SMTP refusal, or transient failures for longer than the retry budget.',
    example: { resetId: EXAMPLE_RESET_ID, userId: 'u-42', reason: 'smtp_permanent', attempts: 1 },
  },
  'reset.verification.failed': {
    description: 'A submitted code did not complete the reset.',
    example: { resetId: EXAMPLE_RESET_ID, userId: 'u-42', reason: 'invalid_code', attemptsRemaining: 4 },
  },
  'reset.completed': {
    description: 'The user proved control of the mailbox; the auth service may now let them set a new password.',
    example: { resetId: EXAMPLE_RESET_ID, userId: 'u-42', completedAt: EXAMPLE_TIME },
  },
  'reset.notice.sent': {
    description: 'The password-changed notice was accepted by the SMTP server.',
    example: { resetId: EXAMPLE_RESET_ID, userId: 'u-42' },
  },
};

const DESCRIPTION = `Password resets with one-time codes, over NATS JetStream. The contract in words is
docs/contract.md in resetd's repository; this document says the same.

Subjects share a prefix, \`reset\` by default (\`RESET_SUBJECT_PREFIX\`); the addresses below use the
default. Streams are named from the prefix: \`<PREFIX>_INBOX\` (commands, work queue) and
\`<PREFIX>_EVENTS\` (facts, 7 days); each channel names its stream in \`x-jetstream\`. Every body
but reset.verify's is a CloudEvents 1.0 event in structured JSON mode (the \`CloudEvent\` schema)
whose \`type\` is the event name, whatever the prefix. Clients publish commands with JetStream, and
every JetStream publish sets \`Nats-Msg-Id\` to the event's id; trace context travels in the
\`traceparent\` and \`tracestate\` headers. Every event resetd publishes, and every reset.verify
reply, carries \`Resetd-Signature\` (a detached Ed25519 JWS over the body): consumers drop what
does not verify. A body over 16 KiB is refused by the inbox stream at
publish; one that breaks these schemas is answered with reset.rejected (\`invalid_request\`). No
event ever holds a code.

Compatibility: within v1, fields and event types may be added, never removed or renamed. Consumers
ignore fields and event types they do not know, so no schema here forbids additional properties.`;

const traceHeaders = {
  traceparent: { type: 'string', description: 'W3C Trace Context: the caller’s span, if it traces.' },
  tracestate: { type: 'string', description: 'W3C Trace Context vendor state.' },
};

const msgIdHeader = {
  'Nats-Msg-Id': { type: 'string', description: "The event's `id`, so that JetStream drops a re-publish inside the stream's duplicate window." },
};

const signatureHeader = {
  [SIGNATURE_HEADER]: {
    type: 'string',
    pattern: '^[A-Za-z0-9_-]+\\.\\.[A-Za-z0-9_-]+$',
    description:
      'JWS compact serialization with a detached, unencoded payload (RFC 7515, RFC 7797): BASE64URL(protected) + ".." + BASE64URL(signature), ' +
      'protected header {"alg":"EdDSA","kid":"<RFC 7638 thumbprint>","b64":false,"crit":["b64"]}, Ed25519 over the body bytes exactly as published. ' +
      'Drop a message that does not verify with resetd\'s public key.',
  },
};

const HEADER_SCHEMAS = {
  JetStreamHeaders: { type: 'object', properties: { ...msgIdHeader, ...traceHeaders }, required: ['Nats-Msg-Id'] },
  SignedEventHeaders: { type: 'object', properties: { ...msgIdHeader, ...signatureHeader, ...traceHeaders }, required: ['Nats-Msg-Id', SIGNATURE_HEADER] },
  SignedReplyHeaders: { type: 'object', properties: { ...signatureHeader, ...traceHeaders }, required: [SIGNATURE_HEADER] },
  TraceHeaders: { type: 'object', properties: traceHeaders },
};

function eventMessage(type: string, name: string, about: Described, headers: string): Record<string, unknown> {
  return {
    name,
    title: type,
    summary: about.description,
    contentType: 'application/json',
    headers: { $ref: `#/components/schemas/${headers}` },
    payload: { $ref: `#/components/schemas/${name}` },
    examples: [{ name: 'example', payload: exampleEvent(type, about.example) }],
  };
}

/** A whole CloudEvent around the example's data, checked against the schema so it cannot rot. */
function exampleEvent(type: string, data: Record<string, unknown>): unknown {
  const event = { specversion: '1.0', id: EXAMPLE_RESET_ID, source: 'urn:acme:auth', type, time: EXAMPLE_TIME, datacontenttype: 'application/json', data };
  if (type in outboundData) return outboundEvent.parse({ ...event, source: 'urn:resetd:resetd', resetdprefix: 'reset' });
  const schema = inboundData[type as InboundType];
  schema.parse(data);
  return event;
}

const ENVELOPE = 'CloudEvent';
const PREFIX_ATTRIBUTE = 'resetdprefix';
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/**
 * Every payload schema. The `data` of each event is generated by zod, inbound as a publisher may
 * send it (`io: input`), outbound exactly as resetd publishes it; each of the nine events is the
 * one shared envelope, `CloudEvent`, with its `type` and its `data`.
 */
function payloadSchemas(): Record<string, unknown> {
  const inbound = z.registry<{ id: string; description?: string }>();
  inbound.add(cloudEventEnvelope, { id: ENVELOPE, description: 'A CloudEvents 1.0 event in structured JSON mode; `data` is described per event type.' });
  for (const [type, data] of Object.entries(inboundData) as Array<[InboundType, z.ZodType]>) inbound.add(data, { id: `${pascal(type)}Data` });
  inbound.add(verifyRequest, { id: 'VerifyRequest' });

  const outbound = z.registry<{ id: string; description?: string }>();
  for (const type of Object.keys(outboundData) as OutboundType[]) outbound.add(outboundData[type], { id: `${pascal(type)}Data` });
  outbound.add(verifyReply, { id: 'VerifyReply' });

  const generate = (registry: typeof inbound, io: 'input' | 'output') =>
    z.toJSONSchema(registry, { target: 'draft-7', io, uri: (id) => `#/components/schemas/${id}`, override: compatible }).schemas;

  // What an outbound envelope promises beyond the shared one (resetd always sets `time`, say).
  const shared = new Set(required(z.toJSONSchema(cloudEventEnvelope, { io: 'input' })));
  const events: Record<string, unknown> = {};
  for (const type of Object.keys(inboundData)) events[pascal(type)] = envelopeOf(type, []);
  for (const option of outboundEvent.options) {
    const type = option.shape.type.value;
    events[pascal(type)] = envelopeOf(type, required(z.toJSONSchema(option, { io: 'output' })).filter((name) => !shared.has(name)));
  }

  const all = { ...generate(inbound, 'input'), ...generate(outbound, 'output'), ...events };
  // `$schema` and `$id` belong to standalone JSON Schema documents, not to AsyncAPI components.
  return Object.fromEntries(
    Object.entries(all)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, schema]) => {
        const component: Record<string, unknown> = { ...(schema as Record<string, unknown>) };
        delete component.$schema;
        delete component.$id;
        return [id, component];
      }),
  );
}

/** The CloudEvent of one type: the shared envelope, that `type`, that `data`. */
function envelopeOf(type: string, alsoRequired: readonly string[]): Record<string, unknown> {
  return {
    description: `The CloudEvent of ${type}.`,
    allOf: [
      ref(ENVELOPE),
      {
        type: 'object',
        properties: {
          type: { const: type },
          data: ref(`${pascal(type)}Data`),
          ...(alsoRequired.includes(PREFIX_ATTRIBUTE) && {
            [PREFIX_ATTRIBUTE]: { type: 'string', description: 'The subject prefix of the deployment that published the event (a CloudEvents extension attribute); a consumer refuses an event of another deployment.' },
          }),
        },
        ...(alsoRequired.length > 0 ? { required: [...alsoRequired] } : {}),
      },
    ],
  };
}

/**
 * Adjusts zod's JSON Schema to the contract: no schema forbids unknown fields (consumers must
 * ignore them, and fields may be added within v1), and a client IP is one string, not a choice
 * between two formats that code generators turn into a union type.
 */
function compatible({ zodSchema, jsonSchema }: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  if (jsonSchema.additionalProperties === false) delete jsonSchema.additionalProperties;
  if (zodSchema === clientIp) {
    delete jsonSchema.anyOf;
    Object.assign(jsonSchema, { type: 'string', description: 'An IPv4 or IPv6 address (format ipv4 or ipv6), e.g. `203.0.113.7` or `2001:db8::1`.' });
  }
}

const required = (schema: { required?: string[] }): string[] => schema.required ?? [];

/** `reset.code.sent` → `resetCodeSent`. */
function camel(type: string): string {
  return type.replace(/\.(\w)/g, (_, c: string) => c.toUpperCase());
}

/** `reset.code.sent` → `ResetCodeSent`. */
function pascal(type: string): string {
  return type
    .split('.')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
