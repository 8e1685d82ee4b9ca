import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { parseAllDocuments, parse } from 'yaml';
import { type ServerConfig, SERVER_OPTIONS, readConfigFile, resolveServerConfig } from '../../server/index.js';
import { METRIC_NAMES } from '../../server/metrics/server-metrics.js';
import { REPO_ROOT } from '../helpers/server-process.js';

const GRPC_PORT = SERVER_OPTIONS.port.fallback() as number;
const METRICS_PORT = SERVER_OPTIONS.metricsPort.fallback() as number;
const read = (path: string): Promise<string> => readFile(join(REPO_ROOT, path), 'utf8');

// Manifests are free-form documents; the assertions below are their schema.
type Doc = any;

/** nats-server's client port when its arguments name none. */
const NATS_DEFAULT_PORT = 4222;

/** The value following `flag` in an argument list (undefined when the flag is absent). */
const argOf = (args: readonly string[], flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);

/** The manifests of a file, by kind (each kind once). */
async function manifests(path: string): Promise<Map<string, Doc>> {
  const docs: Doc[] = parseAllDocuments(await read(path)).map((d) => d.toJS());
  const byKind = new Map(docs.map((d) => [d.kind as string, d]));
  assert.equal(byKind.size, docs.length, `${path} holds one manifest of each kind`);
  return byKind;
}

/** `sluice serve`'s arguments as `resolveServerConfig` takes them; every one must be a real flag. */
function serveArguments(args: readonly string[]): { flags: Record<string, unknown>; configFile: string | undefined } {
  assert.equal(args[0], 'serve');
  const byFlag = new Map(Object.entries(SERVER_OPTIONS).map(([key, spec]) => [spec.flag, { key, spec }]));
  const flags: Record<string, unknown> = {};
  const bindings: string[] = [];
  let configFile: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--config') configFile = args[++i];
    else if (arg === '--bind') bindings.push(args[++i]!);
    else {
      const option = byFlag.get(arg);
      assert.ok(option, `${arg} is a flag of sluice serve`);
      flags[option.key] = option.spec.isSwitch === true ? true : args[++i];
    }
  }
  return { flags: { ...flags, bindings }, configFile };
}

/** Every binding names a model of the repository, one that takes images when its inputs are images. */
async function assertBindingModels(config: ServerConfig): Promise<void> {
  assert.ok(config.bindings.length > 0, 'at least one binding');
  for (const binding of config.bindings) {
    assert.notEqual(binding.model, '', `binding ${binding.name} names its model`);
    const model: Doc = parse(await read(`models/${binding.model}/model.yaml`));
    if (binding.input === 'image') assert.ok(model.preprocessing, `${binding.model} turns images into tensors`);
  }
}

/** The hosts and ports of a NATS URL list. */
const natsServers = (urls: string): { host: string; port: number }[] =>
  urls.split(',').map((url) => new URL(url.includes('://') ? url.trim() : `nats://${url.trim()}`)).map((u) => ({ host: u.hostname, port: Number(u.port || NATS_DEFAULT_PORT) }));

/** Writes a file into a temporary folder removed after the test; returns its path. */
async function tempFile(t: TestContext, name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-deploy-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

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
  const byKind = await manifests('deploy/kubernetes/sluice.yaml');
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

test('compose runs NATS with JetStream on its loopback, and sluice consumes a binding that the real parser accepts', async () => {
  const compose: Doc = parse(await read('compose.yaml'));
  const nats = compose.services.nats;
  assert.ok(nats, 'service nats');
  const args: string[] = nats.command;
  assert.ok(args.includes('-js') || args.includes('--jetstream'), 'JetStream is on');
  // The store is a named volume, so that streams and consumers outlive the container.
  const store = argOf(args, '-sd') ?? argOf(args, '--store_dir');
  const volume = (nats.volumes as string[]).map((v) => v.split(':')).find(([, target]) => target === store);
  assert.ok(volume && compose.volumes && volume[0]! in compose.volumes, `the store ${store} is a named volume`);
  const clientPort = Number(argOf(args, '-p') ?? NATS_DEFAULT_PORT);
  const monitorPort = Number(argOf(args, '-m'));
  assert.ok(nats.ports.length > 0);
  for (const port of nats.ports) assert.match(port, /^127\.0\.0\.1:/);
  assert.ok(nats.ports.includes(`127.0.0.1:${clientPort}:${clientPort}`));
  assert.ok(nats.healthcheck.test.some((part: string) => part.includes(`:${monitorPort}/healthz`)), 'the health check asks the monitoring port');

  const sluice = compose.services.sluice;
  const config = resolveServerConfig({ env: sluice.environment });
  assert.deepEqual(natsServers(config.nats), [{ host: 'nats', port: clientPort }]);
  await assertBindingModels(config);
  // Its first connection must succeed: the server starts once NATS is healthy.
  assert.equal(sluice.depends_on.nats.condition, 'service_healthy');
});

test('Kubernetes runs NATS with JetStream in a StatefulSet, and the Sluice Deployment consumes a binding from its ConfigMap', async (t) => {
  const nats = await manifests('deploy/kubernetes/nats.yaml');
  const statefulSet = nats.get('StatefulSet');
  const natsService = nats.get('Service');
  const pod = statefulSet.spec.template.spec;
  const natsContainer = pod.containers[0];
  const natsArgs: string[] = natsContainer.args;
  assert.ok(natsArgs.includes('-js') || natsArgs.includes('--jetstream'), 'JetStream is on');
  // The store is on the claim of each replica.
  const store = argOf(natsArgs, '-sd') ?? argOf(natsArgs, '--store_dir');
  const storeMount = natsContainer.volumeMounts.find((m: Doc) => m.mountPath === store);
  assert.ok(storeMount, `the store ${store} is mounted`);
  assert.ok(statefulSet.spec.volumeClaimTemplates.some((c: Doc) => c.metadata.name === storeMount.name), 'from a volume claim template');
  const natsPorts = new Map<string, number>(natsContainer.ports.map((p: Doc) => [p.name, p.containerPort]));
  assert.equal(natsPorts.get('client'), Number(argOf(natsArgs, '-p') ?? NATS_DEFAULT_PORT));
  const monitorPort = Number(argOf(natsArgs, '-m'));
  assert.equal(natsPorts.get('monitor'), monitorPort);
  for (const probe of [natsContainer.readinessProbe, natsContainer.livenessProbe]) {
    assert.equal(probe.httpGet.path, '/healthz?js-enabled-only=true');
    assert.equal(natsPorts.get(probe.httpGet.port) ?? probe.httpGet.port, monitorPort);
  }
  assert.equal(statefulSet.spec.serviceName, natsService.metadata.name);
  assert.deepEqual(natsService.spec.selector, statefulSet.spec.selector.matchLabels);
  assert.deepEqual(statefulSet.spec.template.metadata.labels, statefulSet.spec.selector.matchLabels);
  for (const port of natsService.spec.ports) assert.ok(natsPorts.has(port.targetPort), `service port ${port.name} targets a container port`);

  const sluice = await manifests('deploy/kubernetes/sluice.yaml');
  const deployment = sluice.get('Deployment');
  const container = deployment.spec.template.spec.containers[0];
  const { flags, configFile } = serveArguments(container.args);
  // --config names a key of the ConfigMap, mounted where the flag says.
  const mount = container.volumeMounts.find((m: Doc) => configFile?.startsWith(`${m.mountPath}/`));
  assert.ok(mount, `--config ${configFile} is in a mounted volume`);
  const volume = deployment.spec.template.spec.volumes.find((v: Doc) => v.name === mount.name);
  const configMap = sluice.get('ConfigMap');
  assert.equal(volume.configMap.name, configMap.metadata.name);
  const key = configFile!.slice(mount.mountPath.length + 1);
  assert.ok(key in configMap.data, `the ConfigMap holds ${key}`);

  // The server's whole effective configuration: flags, environment and the file, by the real parsers.
  const env = new Map<string, Doc>(container.env.map((e: Doc) => [e.name, e]));
  const envValues = Object.fromEntries([...env].map(([name, e]) => [name, e.value ?? `secret:${e.valueFrom.secretKeyRef.name}`]));
  const file = await readConfigFile(await tempFile(t, key, configMap.data[key]));
  const config = resolveServerConfig({ flags, env: envValues, file });
  await assertBindingModels(config);
  const clientPort = natsService.spec.ports.find((p: Doc) => p.targetPort === 'client').port;
  for (const server of natsServers(config.nats)) {
    assert.ok(server.host === natsService.metadata.name || server.host.startsWith(`${natsService.metadata.name}.`), `${server.host} is the NATS Service`);
    assert.equal(server.port, clientPort);
  }
  // Sluice authenticates with the token NATS requires, from the same Secret.
  const natsToken = new Map<string, Doc>(natsContainer.env.map((e: Doc) => [e.name, e]));
  assert.equal(argOf(natsArgs, '--auth'), '$(NATS_TOKEN)');
  assert.deepEqual(env.get('SLUICE_NATS_TOKEN').valueFrom.secretKeyRef, natsToken.get('NATS_TOKEN').valueFrom.secretKeyRef);
});
