import { createHash } from 'node:crypto';

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

/**
 * The id of an outbound event, derived from what makes it unique, so that publishing it again
 * after a redelivery is dropped by the stream as a duplicate. Shaped as a name-based UUID.
 */
export function deriveEventId(resetId: string, type: string, sequence: string): string {
  const hex = createHash('sha256').update(`${resetId}\n${type}\n${sequence}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
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
