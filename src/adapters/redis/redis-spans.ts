import { SpanKind, trace, type Attributes } from '@opentelemetry/api';
import {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_STORED_PROCEDURE_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import type { Redis } from 'ioredis';
import type { RedisClient } from './redis-client.js';
import { activeContext } from '../otel/message-context.js';
import { DB_SYSTEM_NAME_VALUE_REDIS } from '../otel/semconv.js';
import { inSpan } from '../otel/spans.js';

/** One exchange with Redis: a plain command, or a script (sent as EVALSHA) by its name. */
export type RedisOperation = { readonly command: string } | { readonly script: string };

/**
 * Sends one Redis command inside a CLIENT span, child of the span active when it is called, when
 * that span is recorded (else the work runs bare: an untraced message costs nothing here). The
 * span is made here, at the call, and not by instrumenting the client: with auto-pipelining the
 * client sends a tick's commands together, in the context of whichever caller came first, and
 * every command's span would join that caller's trace. Nothing of the arguments is recorded: they
 * hold digests and ids.
 */
export function inRedisSpan<T>(redis: RedisClient, operation: RedisOperation, send: () => Promise<T>): Promise<T> {
  if (!trace.getSpan(activeContext())?.isRecording()) return send();
  const attributes: Attributes = { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_REDIS, ...serverOf(redis) };
  let name: string;
  if ('script' in operation) {
    name = `EVALSHA ${operation.script}`;
    attributes[ATTR_DB_OPERATION_NAME] = 'EVALSHA';
    attributes[ATTR_DB_STORED_PROCEDURE_NAME] = operation.script;
  } else {
    name = operation.command;
    attributes[ATTR_DB_OPERATION_NAME] = operation.command;
  }
  return inSpan(name, { kind: SpanKind.CLIENT, attributes }, send);
}

/** The one server a client talks to; a Cluster's node, or the master a Sentinel names, is not known here. */
function serverOf(redis: RedisClient): Attributes {
  if (redis.isCluster) return {};
  const { options } = redis as Redis;
  return options.sentinels ? {} : { [ATTR_SERVER_ADDRESS]: options.host, [ATTR_SERVER_PORT]: options.port };
}
