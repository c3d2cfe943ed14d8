import { describe, expect, it } from 'vitest';
import { resetRequestedData } from '../../../src/contract/schemas.js';

const localeOk = (locale: string) => resetRequestedData.safeParse({ userId: 'u-1', email: 'ada@example.com', locale }).success;

describe('the locale rule of the contract (a BCP 47 tag)', () => {
  it.each(['en', 'de-AT', 'zh-Hant-TW', 'sr-Latn-RS', 'es-419', 'x-klingon', 'i-klingon', 'tlh', 'en-US-u-ca-gregory-nu-latn', 'de-DE-1996', `en-${'-abcdefgh'.repeat(6).slice(1)}`])(
    'accepts %s',
    (locale) => expect(localeOk(locale)).toBe(true),
  );

  it.each(['', 'e', 'x', 'x-', 'en-', 'en--US', 'en_US', 'de AT', 'abcdefghi', 'en-abcdefghi', 'de-\u00c4T', `en-${'-abcdefgh'.repeat(8).slice(1)}`])('refuses %j', (locale) =>
    expect(localeOk(locale)).toBe(false),
  );
});
