import { generateKeyPairSync } from 'node:crypto';
import type { DkimKey } from '../../src/adapters/mail/mail-message.js';

/** A fresh 2048-bit RSA key pair, and the TXT record a receiver would find for it in DNS. */
export function makeDkimKey(domain: string, selector: string): { key: DkimKey; txt: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { key: { domain, selector, privateKey: pem }, txt: `v=DKIM1; k=rsa; p=${p}` };
}

/** A DNS resolver for mailauth that knows one TXT record and fails for every other name, as DNS would. */
export function stubDns(name: string, txt: string) {
  return async (domain: string, type: string): Promise<string[][]> => {
    if (type === 'TXT' && domain.toLowerCase() === name) {
      // DNS splits TXT strings at 255 bytes; verifiers join the pieces.
      return [txt.match(/.{1,255}/g) ?? []];
    }
    throw Object.assign(new Error(`queryTxt ENOTFOUND ${domain}`), { code: 'ENOTFOUND' });
  };
}
