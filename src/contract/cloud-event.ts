import { createHmac } from 'node:crypto';

export interface CloudEvent<Data = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  datacontenttype: 'application/json';
  /**
   * A CloudEvents extension attribute: the subject prefix of the deployment that published the
   * event. The signature covers the body alone, so this is what ties a signed event to one deployment.
   */
  resetdprefix?: string;
  data: Data;
}

/** The id of an outbound event, from what makes it unique: its reset, its name and its sequence. */
export type EventIdDeriver = (resetId: string, type: string, sequence: string) => string;

/**
 * Derives outbound event ids from what makes each unique, so that publishing one again after a
 * redelivery is dropped by the stream as a duplicate; shaped as a name-based UUID. Keyed with a
 * secret of the deployment: whoever may publish on the events' subjects (a user given too much)
 * and could work out a coming event's id could publish a message under it first, and the stream
 * would then drop the real `reset.completed` as its duplicate.
 */
export function eventIdDeriver(secret: string | Uint8Array): EventIdDeriver {
  return (resetId, type, sequence) => {
    const hex = createHmac('sha256', secret).update(`${resetId}\n${type}\n${sequence}`).digest('hex');
    const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
  };
}

/** A CloudEvent in structured JSON mode; with `prefix`, it names the deployment that publishes it (`resetdprefix`). */
export function cloudEvent<Data>(fields: { id: string; source: string; type: string; time: Date; data: Data; prefix?: string }): CloudEvent<Data> {
  return {
    specversion: '1.0',
    id: fields.id,
    source: fields.source,
    type: fields.type,
    time: fields.time.toISOString(),
    datacontenttype: 'application/json',
    ...(fields.prefix === undefined ? {} : { resetdprefix: fields.prefix }),
    data: fields.data,
  };
}
