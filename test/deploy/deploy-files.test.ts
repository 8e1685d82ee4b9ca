import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments, parse } from 'yaml';
import { SERVER_OPTIONS } from '../../server/index.js';
import { METRIC_NAMES } from '../../server/metrics/server-metrics.js';
import { REPO_ROOT } from '../helpers/server-process.js';

const GRPC_PORT = SERVER_OPTIONS.port.fallback() as number;
const METRICS_PORT = SERVER_OPTIONS.metricsPort.fallback() as number;
const read = (path: string): Promise<string> => readFile(join(REPO_ROOT, path), 'utf8');

// Manifests are free-form documents; the assertions below are their schema.
type Doc = any;

test('the Dockerfile builds in two stages and runs the server as a non-root user on the real ports', async () => {
  const dockerfile = await read('Dockerfile');
  assert.equal(dockerfile.match(/^FROM /gm)?.length, 2);
  assert.match(dockerfile, /^RUN npm ci/m);
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, new RegExp(`^EXPOSE ${GRPC_PORT} ${METRICS_PORT} 8080$`, 'm'));
  assert.match(dockerfile, /CMD \["serve", "--host", "0\.0\.0\.0", "--port", "50051", "--metrics-port", "9464"/);
  // What the running server needs at run time is copied into the final stage.
  for (const path of ['dist', 'node_modules', 'protos', 'models', 'package.json']) assert.match(dockerfile, new RegExp(`COPY --from=build .*/app/${path}`));
});

test('the Kubernetes manifests serve TLS with tokens from a Secret, probe health with them, and balance through a headless Service', async () => {
  const docs: Doc[] = parseAllDocuments(await read('deploy/kubernetes/sluice.yaml')).map((d) => d.toJS());
  const byKind = new Map(docs.map((d) => [d.kind as string, d]));
  const deployment = byKind.get('Deployment');
  const service = byKind.get('Service');
  const hpa = byKind.get('HorizontalPodAutoscaler');
  const container = deployment.spec.template.spec.containers[0];
  const ports = new Map<string, number>(container.ports.map((p: Doc) => [p.name, p.containerPort]));
  assert.equal(ports.get('grpc'), GRPC_PORT);
  assert.equal(ports.get('metrics'), METRICS_PORT);
  const args: string[] = container.args;
  assert.equal(args[args.indexOf('--host') + 1], '0.0.0.0', 'the address is set explicitly');
  // Every credential the server reads is a file of the mounted Secret.
  const mount = container.volumeMounts.find((m: Doc) => m.name === 'credentials');
  const secret = deployment.spec.template.spec.volumes.find((v: Doc) => v.name === 'credentials').secret;
  const files = new Set(secret.items.map((i: Doc) => `${mount.mountPath}/${i.path}`));
  for (const flag of ['--token-file', '--tls-cert', '--tls-key']) assert.ok(files.has(args[args.indexOf(flag) + 1]!), `${flag} is a file of the Secret`);
  // The kubelet's gRPC probe can send neither token nor TLS: the probes run `sluice health` with both.
  const env = new Map<string, Doc>(container.env.map((e: Doc) => [e.name, e]));
  assert.equal(env.get('SLUICE_TOKEN').valueFrom.secretKeyRef.name, secret.secretName);
  assert.ok(files.has(env.get('SLUICE_CA').value));
  assert.equal(env.get('SLUICE_SERVER').value, `localhost:${GRPC_PORT}`);
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    assert.deepEqual(probe.exec.command.slice(0, 3), ['node', 'dist/client/cli/sluice.js', 'health']);
  }
  assert.equal(args[args.indexOf('--port') + 1], String(GRPC_PORT));
  assert.equal(args[args.indexOf('--metrics-port') + 1], String(METRICS_PORT));
  // The grace period outlasts the server's drain.
  assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000 > Number(args[args.indexOf('--drain-timeout') + 1]));

  assert.equal(service.spec.clusterIP, 'None');
  assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
  assert.deepEqual(deployment.spec.template.metadata.labels, deployment.spec.selector.matchLabels);
  for (const port of service.spec.ports) assert.ok(ports.has(port.targetPort), `service port ${port.name} targets a container port`);
  assert.equal(hpa.spec.scaleTargetRef.kind, 'Deployment');
  assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
});

test('compose scrapes the real metrics port, and the dashboard asks only for metrics the server exports', async () => {
  const compose: Doc = parse(await read('compose.yaml'));
  for (const name of ['sluice', 'bridge', 'prometheus', 'grafana']) assert.ok(compose.services[name], `service ${name}`);
  assert.ok(compose.services.sluice.ports.includes(`127.0.0.1:${GRPC_PORT}:${GRPC_PORT}`), "published on the host's loopback only");
  for (const service of Object.values(compose.services) as Doc[]) for (const port of service.ports ?? []) assert.match(port, /^127\.0\.0\.1:/);
  const prometheus: Doc = parse(await read('deploy/prometheus/prometheus.yml'));
  assert.deepEqual(prometheus.scrape_configs[0].static_configs[0].targets, [`sluice:${METRICS_PORT}`]);

  const dashboard: Doc = JSON.parse(await read('deploy/grafana/dashboards/sluice.json'));
  const exprs: string[] = dashboard.panels.flatMap((p: Doc) => p.targets.map((t: Doc) => t.expr));
  assert.ok(exprs.length >= 8);
  const exported = new Set<string>(METRIC_NAMES.flatMap((n) => [n, `${n}_bucket`, `${n}_sum`, `${n}_count`]));
  for (const expr of exprs) {
    const names = expr.match(/\b(sluice|process|nodejs)_[a-z_]+\b/g) ?? [];
    assert.ok(names.length > 0, expr);
    for (const name of names) assert.ok(exported.has(name) || /^(process|nodejs)_/.test(name), `${name} in "${expr}" is exported`);
  }
});
