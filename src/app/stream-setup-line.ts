import type { PermissionRefusal, StreamSetupProblem } from '../adapters/nats/jetstream-streams.js';

/** The one line an operator needs for a stream JetStream would not take: what is wrong, and which setting changes it. */
export function streamSetupLine(problem: StreamSetupProblem, prefix: string): string {
  const stream = `the JetStream stream ${problem.stream}`;
  switch (problem.kind) {
    case 'foreign':
      return `${stream} belongs to another deployment: it holds ${problem.subjects.join(', ')}, not subjects under ${prefix}.; give this deployment its own RESET_SUBJECT_PREFIX, or its own RESET_INBOX_STREAM and RESET_EVENTS_STREAM`;
    case 'replicas':
      return `${stream} cannot have RESET_STREAM_REPLICAS replicas here: ${problem.detail}; set RESET_STREAM_REPLICAS to at most the number of JetStream servers (1 on a single server)`;
    case 'storage':
      return `${stream} cannot reserve its maximum bytes: ${problem.detail}; lower RESET_INBOX_MAX_BYTES or RESET_EVENTS_MAX_BYTES, or give JetStream more storage (max_file_store)`;
    case 'overlap':
      return `${stream} would capture subjects another stream already holds: ${problem.detail}; give this deployment its own RESET_SUBJECT_PREFIX, or remove the other stream`;
    case 'refused':
      return `${stream} was refused by JetStream: ${problem.detail}`;
    case 'consumer':
      return `the JetStream consumer ${problem.consumer} on ${problem.stream} was refused by JetStream: ${problem.detail}; check RESET_ACK_WAIT_SECONDS, RESET_MAX_DELIVER and RESET_MAX_IN_FLIGHT, or set RESET_CONSUMER to a name of this deployment's own if a consumer of that name was made otherwise`;
  }
}

/**
 * The one line for a subject the NATS user may not use. The subject is made from settings, so the
 * line names the ones it comes from: the usual cause is a name the user's permissions were not
 * written for (another prefix, consumer or reply prefix), not a permission missing.
 */
export function natsPermissionLine(refusal: PermissionRefusal, prefix: string): string {
  const refused = `the NATS server refused the NATS user ${refusal.operation === 'publish' ? 'a publish' : 'a subscription'} to "${refusal.subject}" (Permissions Violation)`;
  const grant = "or grant the user that subject in the server's permissions (deploy/nats/permissions.conf)";
  return `${refused}: ${settingsOf(refusal, prefix)}, ${grant}`;
}

function settingsOf({ operation, subject }: PermissionRefusal, prefix: string): string {
  const names = 'to the names its permissions are written for';
  if (subject.startsWith('$JS.API.CONSUMER.')) return `set RESET_CONSUMER (and RESET_INBOX_STREAM or RESET_SUBJECT_PREFIX) ${names}`;
  if (subject.startsWith('$JS.API.STREAM.')) return `set RESET_SUBJECT_PREFIX (or RESET_INBOX_STREAM and RESET_EVENTS_STREAM) ${names}`;
  if (subject.startsWith(`${prefix}.`)) return `set RESET_SUBJECT_PREFIX ${names}`;
  // Replies to every request (the JetStream API's included) arrive under the inbox prefix.
  if (operation === 'subscription') return 'set NATS_INBOX_PREFIX to the reply prefix its permissions allow (_INBOX_resetd for deploy/nats)';
  return "check the NATS user's permissions";
}
