/**
 * The OpenTelemetry semantic-convention names resetd uses that are still "incubating" upstream.
 * OpenTelemetry advises copying those rather than importing the unstable entry point, so they
 * live here, in one place; the stable ones come from `@opentelemetry/semantic-conventions`.
 */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size';
export const MESSAGING_SYSTEM_NATS = 'nats';

/** The SMTP server's reply code to the mail (250 once accepted); SMTP has no convention yet. */
export const ATTR_SMTP_RESPONSE_CODE = 'smtp.response.code';

/** resetd's own attributes: what an operator searches a trace by, and what came of it. */
export const ATTR_RESET_ID = 'resetd.reset.id';
export const ATTR_RESET_OUTCOME = 'resetd.outcome';
export const ATTR_RESET_REASON = 'resetd.reason';
export const ATTR_DELIVERY_ATTEMPT = 'resetd.delivery.attempt';
export const ATTR_MAIL_TO = 'resetd.mail.to';

/** `db.system.name` for Redis (not yet among the stable values). */
export const DB_SYSTEM_NAME_VALUE_REDIS = 'redis';
