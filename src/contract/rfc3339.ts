import { z } from 'zod';

// RFC 3339 section 5.6 `date-time`, with the day checked against its month and year (section 5.7).
const LEAP_YEAR = '(?:\\d\\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
const FULL_DATE = `(?:${LEAP_YEAR}-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8])))`;
// Second 60 is a leap second; `T` and `Z` are case-insensitive (the note in section 5.6).
const FULL_TIME = '(?:[01]\\d|2[0-3]):[0-5]\\d:(?:[0-5]\\d|60)(?:\\.\\d+)?(?:[Zz]|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)';
const DATE_TIME = new RegExp(`^${FULL_DATE}[Tt]${FULL_TIME}$`);

/**
 * An RFC 3339 date and time with an offset (`2030-01-01T12:00:00Z`, `2030-01-01t13:00:00.5+01:00`),
 * given out in a form `Date.parse` reads: `T` and `Z` upper-cased, and a leap second (which a Date
 * cannot hold) as the last millisecond before it, so the time stays in the minute, and the day, it
 * was written in. The format keeps zod's name, so a refusal reads as any other date-time's.
 */
export const rfc3339DateTime = z
  .stringFormat('datetime', DATE_TIME)
  .transform((value) => value.toUpperCase().replace(/:60(?:\.\d+)?(?=[Z+-])/, ':59.999'));
