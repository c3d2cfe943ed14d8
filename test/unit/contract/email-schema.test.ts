import { describe, expect, it } from 'vitest';
import { resetRequestedData } from '../../../src/contract/schemas.js';

const emailOk = (email: string) => resetRequestedData.safeParse({ userId: 'u-1', email }).success;

describe('the email rule of the contract', () => {
  it.each(['ada@example.com', 'first.last+tag@mail.example.co.uk', 'jörg@example.com', 'joerg@müller.de', 'jörg@müller.de', 'joerg@xn--mller-kva.de', 'δοκιμή@παράδειγμα.δοκιμή', '用户@例子.广告', 'first=last@example.com', "o'brien@example.com", 'a!#$%&*/?^`{|}~z@example.com'])(
    'accepts %s',
    (email) => expect(emailOk(email)).toBe(true),
  );

  it.each(['not-an-address', 'a@b', 'a@localhost', 'a b@example.com', '"quoted"@example.com', 'a@[192.0.2.1]', '.a@example.com', 'a..b@example.com', 'a@-x.example.com', 'jörg@ex_ample.com', 'a\u0000b@example.com', 'a\r\nBcc: x@example.com', 'a<b>@example.com', 'a,b@example.com', 'a;b@example.com', 'a.@example.com', `${'a'.repeat(64)}@${'b'.repeat(186)}.com`])(
    'refuses %j',
    (email) => expect(emailOk(email)).toBe(false),
  );
});
