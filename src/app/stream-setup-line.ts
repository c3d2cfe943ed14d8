import type { StreamSetupProblem } from '../adapters/nats/jetstream-streams.js';

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
  }
}
