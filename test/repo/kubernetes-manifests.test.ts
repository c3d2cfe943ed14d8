import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { envSchema } from '../../src/adapters/environment/env-schema.js';
import { WORST_DRAIN_SECONDS } from '../support/worst-drain.js';

// `deploy/kubernetes/` is an example to apply with kubectl; no cluster runs in the tests, so this
// parses every manifest and checks what the deployment promises.
const DIR = new URL('../../deploy/kubernetes/', import.meta.url);

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

const manifests: Manifest[] = readdirSync(DIR)
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(file, DIR), 'utf8')).map((doc) => {
      expect(doc.errors, file).toEqual([]);
      return doc.toJS() as Manifest;
    }),
  );
const one = (kind: string): Manifest => {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};


describe('deploy/kubernetes', () => {
  const deployment = one('Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((each: { name: string }) => each.name === 'resetd');
  const schema = Object.keys(envSchema.shape);

  it('parses, every document naming its kind and name, all but the Secret template listed in the kustomization', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(5);
    for (const manifest of manifests) {
      expect(manifest.apiVersion, manifest.kind).toBeTruthy();
      expect(manifest.metadata.name, manifest.kind).toMatch(/^[a-z0-9-]+$/);
    }
    const kustomization = parseAllDocuments(readFileSync(new URL('kustomization.yaml', DIR), 'utf8'))[0]!.toJS() as { resources: string[] };
    // secret.yaml is a template: applied with the rest, its placeholders would overwrite the real Secret.
    const files = readdirSync(DIR).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml' && file !== 'secret.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('runs several replicas, spread over the nodes', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(3);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(pod.topologySpreadConstraints?.[0]?.topologyKey).toBe('kubernetes.io/hostname');
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('is ready on /readyz and alive on /healthz, on the operators port 9464', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 9464 });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 9464 });
    expect(container.ports).toContainEqual(expect.objectContaining({ containerPort: 9464 }));
    const configMap = one('ConfigMap');
    expect(configMap.data?.OPS_HTTP_PORT ?? '9464').toBe('9464');
  });

  it('gives a stopping pod longer than the drain before it is killed', () => {
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(WORST_DRAIN_SECONDS);
  });

  it('applies everything in the namespace resetd, where the Prometheus example looks the pods up', () => {
    const kustomization = parseAllDocuments(readFileSync(new URL('kustomization.yaml', DIR), 'utf8'))[0]!.toJS() as { namespace?: string };
    expect(kustomization.namespace).toBe('resetd');
    expect(readFileSync(new URL('../prometheus/prometheus-kubernetes.yml', DIR), 'utf8')).toMatch(/names: \[resetd-ops\.resetd\.svc\]/);
  });

  it('asks for resources and runs as a non-root user without privileges', () => {
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits).toMatchObject({ memory: expect.any(String) });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  it('has a PodDisruptionBudget for the same pods that leaves most of them running', () => {
    const pdb = one('PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    const down = pdb.spec.maxUnavailable ?? deployment.spec.replicas - pdb.spec.minAvailable;
    expect(down).toBeGreaterThanOrEqual(1);
    expect(down).toBeLessThan(deployment.spec.replicas / 2);
  });

  it('takes its configuration from a ConfigMap of known variables, with no secret in it', () => {
    const configMap = one('ConfigMap');
    expect(container.envFrom).toContainEqual({ configMapRef: { name: configMap.metadata.name } });
    const names = [...Object.keys(configMap.data ?? {}), ...container.env.map((each: { name: string }) => each.name)];
    expect(names.filter((name) => !schema.includes(name))).toEqual([]);
    expect(Object.keys(configMap.data ?? {}).filter((name) => /SECRET|PASSWORD|TOKEN|SEED|CREDS|PRIVATE_KEY/.test(name))).toEqual([]);
    expect(configMap.data?.RESET_STREAM_REPLICAS).toBe('3');
    expect((configMap.data?.NATS_URL ?? '').split(',')).toHaveLength(3);
    expect(configMap.data?.REDIS_CLUSTER_NODES ?? configMap.data?.REDIS_SENTINELS).toBeTruthy();
  });

  it('mounts the secrets as files, read-only, named by _FILE variables, OTP_SECRET_FILE among them', () => {
    const secret = one('Secret');
    const env = Object.fromEntries(container.env.map((each: { name: string; value?: string }) => [each.name, each.value]));
    expect(Object.keys(env).filter((name) => /SECRET|PASSWORD|TOKEN|SEED|CREDS|PRIVATE_KEY/.test(name) && !name.endsWith('_FILE'))).toEqual([]);
    expect(env.OTP_SECRET_FILE).toBeDefined();
    const mount = container.volumeMounts.find((each: { name: string }) => each.name === 'secrets');
    expect(mount.readOnly).toBe(true);
    const volume = pod.volumes.find((each: { name: string }) => each.name === 'secrets');
    const sources: { secret: { name: string; items: { key: string; path: string }[] } }[] = volume.projected?.sources ?? [{ secret: { name: volume.secret.secretName, items: volume.secret.items } }];
    const files = sources.flatMap((source) => source.secret.items.map((item) => `${mount.mountPath}/${item.path}`));
    for (const [name, path] of Object.entries(env).filter(([name]) => name.endsWith('_FILE'))) expect(files, name).toContain(path);
    const own = sources.find((source) => source.secret.name === secret.metadata.name);
    // The volume mounts the Secret the kit defines, not one of another name that does not exist.
    expect(own, `a projected source of Secret ${secret.metadata.name}`).toBeDefined();
    for (const item of own!.secret.items) expect(Object.keys(secret.stringData ?? secret.data ?? {})).toContain(item.key);
    expect(env.OTP_SECRET_FILE).toBe(`${mount.mountPath}/otp-secret`);
  });

  it('names the official NATS chart and a Redis or Valkey chart in its README', () => {
    const readme = readFileSync(new URL('README.md', DIR), 'utf8');
    expect(readme).toContain('nats-io/k8s');
    expect(readme).toMatch(/helm install nats nats\/nats/);
    expect(readme).toMatch(/bitnamicharts\/(redis|redis-cluster|valkey|valkey-cluster)\b/);
  });
});
