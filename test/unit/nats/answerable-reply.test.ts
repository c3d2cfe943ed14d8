import { describe, expect, it } from 'vitest';
import { answerableReply } from '../../../src/adapters/nats/nats-verify-responder.js';
import { subjectsFor } from '../../../src/contract/subjects.js';

describe('answerableReply', () => {
  const subjects = subjectsFor('acme.reset');

  it("answers a requester's inbox, whatever its prefix, and a request without a reply subject", () => {
    for (const reply of ['_INBOX.abc.1', '_INBOX_auth.x.y', 'replies.auth.1', 'acme.resetting.1', undefined]) {
      expect(answerableReply(reply, subjects), String(reply)).toBe(true);
    }
  });

  it("answers nothing under this deployment's prefix or under $", () => {
    for (const reply of ['acme.reset.completed', 'acme.reset.requested', 'acme.reset.verify', '$JS.API.STREAM.INFO.ACME_RESET_EVENTS', '$JS.ACK.ACME_RESET_INBOX.resetd.1.2.3.4.0', '$SYS.REQ.SERVER.PING']) {
      expect(answerableReply(reply, subjects), reply).toBe(false);
    }
  });
});
