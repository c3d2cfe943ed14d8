import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

// The permissions themselves are checked against a real server in test/faults/nats-permissions.test.ts;
// this checks that every deployment example uses that one file, and logs resetd in as the user it describes.
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('deploy/nats in the deployment examples', () => {
  const permissions = read('deploy/nats/permissions.conf');

  it('is included by the server configuration of compose and the tests, and by the Helm values', () => {
    expect(read('deploy/nats/nats-server.conf')).toMatch(/^include \.\/permissions\.conf$/m);
    const values = parse(read('deploy/nats/helm-values.yaml')) as { config: { merge: Record<string, string> } };
    expect(values.config.merge.$include).toMatch(/\/permissions\.conf$/);
  });

  it('logs resetd in on Kubernetes as the resetd user, with the inbox prefix only it may read, and a signing key', () => {
    const docs = (file: string) => parseAllDocuments(read(`deploy/kubernetes/${file}`)).map((doc) => doc.toJS());
    const configMap = docs('configmap.yaml')[0] as { data: Record<string, string> };
    expect(permissions).toContain(`user: ${configMap.data.NATS_USER}, password: $NATS_RESETD_PASSWORD, permissions: $RESETD_PERMISSIONS`);
    expect(permissions).toContain(`"${configMap.data.NATS_INBOX_PREFIX}.>"`);
    const container = (docs('deployment.yaml')[0] as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string }> }> } } } }).spec.template.spec.containers[0]!;
    expect(container.env.map((each) => each.name)).toEqual(expect.arrayContaining(['NATS_PASSWORD_FILE', 'RESET_SIGNING_KEY_FILE']));
  });
});
