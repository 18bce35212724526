#!/usr/bin/env node
// kube-to-podman.mjs - turns a rendered overlay (deploy/k8s/overlays/podman)
// into what `podman kube play` (podman 4.3) can run, mapping what it ignores:
//
//   Service (ClusterIP)  -> a Pod of that name running haproxy (image
//                           svc-proxy): one frontend per Service port, a
//                           new TCP connection goes to the next ready
//                           replica (kube-proxy balances per connection
//                           too); a replica counts as ready while its
//                           readinessProbe passes (httpGet -> HTTP check,
//                           otherwise a TCP check), as Endpoints do
//   readiness probes     -> those checks, and play.sh's waits
//   StatefulSet          -> Deployment + PersistentVolumeClaim
//   Job                  -> Pod (restartPolicy OnFailure)
//   Secret               -> a podman secret: a flat JSON map of base64 values;
//                           one mounted as a volume (the RPC certificates)
//                           -> a ConfigMap of that name, files mode 0444
//                           (podman 4.3's kube play panics on secret volumes)
//   NetworkPolicy, PDB, HPA, Ingress, ServiceAccount, Namespace, CronJob,
//   headless Services    -> dropped (no meaning under podman)
// Container ports are dropped (kube play publishes every one on the host,
// which clashes between replicas) except those with a hostPort. Every
// Service port is published on the host's loopback by its proxy: at the
// port its annotation r-cycle.podman/host-ports names (the gateway's 3400
// and 7600), else at 7601 and up; so every request of the suite goes
// through a Service proxy, as through kube-proxy. lifecycle and
// fsGroupChangePolicy are dropped (podman 4.3 does not apply them).
//
//   node kube-to-podman.mjs --in RENDERED.yaml --secret SECRET.yaml [--secret ...] --out DIR
//        [--proxy-image IMAGE] [--host-port-base 7600] [--max-replicas 3]
//   node kube-to-podman.mjs --in RENDERED.yaml [--secret ...] --out DIR --replica DEPLOYMENT=INDEX
//        (writes DIR/replica-DEPLOYMENT-INDEX.yaml: one more replica as a Pod)
//
// Writes DIR/stack.yaml, DIR/jobs.yaml, DIR/secrets/NAME.json and DIR/plan.json (what
// play.sh waits for and where the admin ports are published).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';

const { values: opt } = parseArgs({
  options: {
    in: { type: 'string' },
    secret: { type: 'string', multiple: true },
    out: { type: 'string' },
    'proxy-image': { type: 'string', default: 'localhost/rcycle/svc-proxy:0.1.0' },
    'host-port-base': { type: 'string', default: '7600' },
    'max-replicas': { type: 'string', default: '3' },
    replica: { type: 'string' },
  },
});
if (!opt.in || !opt.out) {
  console.error('usage: kube-to-podman.mjs --in RENDERED.yaml [--secret SECRET.yaml] --out DIR [--replica NAME=INDEX]');
  process.exit(2);
}
const DNS_DOMAIN = 'dns.podman'; // the dnsname plugin's (and aardvark's) domain of a podman network
const HOST_PORTS = 'r-cycle.podman/host-ports';
const ADMIN_BASE = Number(opt['host-port-base']);
const MAX_REPLICAS = Number(opt['max-replicas']);
const objects = YAML.parseAllDocuments(readFileSync(opt.in, 'utf8')).map((d) => d.toJS()).filter(Boolean);
mkdirSync(opt.out, { recursive: true });
const clone = (x) => JSON.parse(JSON.stringify(x));
// The Secrets pods mount as volumes, and each --secret file's Secrets.
const podSpecs = objects.map((o) => o.spec?.template?.spec).filter(Boolean);
const volumeSecrets = new Set(podSpecs.flatMap((s) => (s.volumes ?? []).map((v) => v.secret?.secretName).filter(Boolean)));
const givenSecrets = (opt.secret ?? []).flatMap((f) =>
  YAML.parseAllDocuments(readFileSync(f, 'utf8'))
    .map((d) => d.toJS())
    .filter(Boolean),
);
// The base64 values of a Secret, by key.
function secretValues(s) {
  const flat = {};
  for (const [k, v] of Object.entries(s.data ?? {})) flat[k] = v;
  for (const [k, v] of Object.entries(s.stringData ?? {})) flat[k] = Buffer.from(String(v)).toString('base64');
  return flat;
}
// A Secret mounted as a volume, as the ConfigMap that stands in for it.
function secretAsConfigMap(s) {
  const data = Object.fromEntries(Object.entries(secretValues(s)).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: s.metadata.name }, data };
}
const DROP = new Set(['Namespace', 'ServiceAccount', 'NetworkPolicy', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'Ingress', 'CronJob']);

// A pod spec as kube play takes it; returns [spec, probes by container].
function podSpecForPodman(spec, { keepPorts = true } = {}) {
  const s = clone(spec);
  const probes = {};
  for (const k of ['serviceAccountName', 'automountServiceAccountToken', 'enableServiceLinks', 'topologySpreadConstraints', 'terminationGracePeriodSeconds'])
    delete s[k];
  // podman applies no fsGroup to a volume: play.sh does to the PostgreSQL
  // volume what the kubelet does, and shows PostgreSQL still starts.
  if (s.securityContext) delete s.securityContext.fsGroupChangePolicy;
  // podman's /dev/shm (64 MB) stands in for the memory emptyDir.
  const memVolumes = new Set((s.volumes ?? []).filter((v) => v.emptyDir?.medium === 'Memory').map((v) => v.name));
  if (s.volumes) s.volumes = s.volumes.filter((v) => !memVolumes.has(v.name));
  // Without fsGroup the files must be readable to the container's user.
  for (const v of s.volumes ?? []) {
    if (!v.secret) continue;
    v.configMap = { name: v.secret.secretName, defaultMode: 0o444 };
    delete v.secret;
  }
  for (const list of ['initContainers', 'containers']) {
    for (const c of s[list] ?? []) {
      probes[c.name] = { readiness: c.readinessProbe, liveness: c.livenessProbe, ports: c.ports ?? [] };
      delete c.readinessProbe;
      delete c.livenessProbe;
      delete c.startupProbe;
      // podman 4.3 has no sleep action; the proxies route by health checks.
      delete c.lifecycle;
      if (c.volumeMounts) c.volumeMounts = c.volumeMounts.filter((m) => !memVolumes.has(m.name));
      const published = (c.ports ?? []).filter((p) => p.hostPort && keepPorts);
      if (published.length) c.ports = published;
      else delete c.ports;
    }
  }
  // podman 4.3 gives init containers the pod's restart policy: under Always
  // a finished schema-wait is restarted, and kube play fails to remove it.
  // OnFailure still restarts a crashed process (podman never restarts what
  // podman stop or kill ended, under either policy).
  if ((s.initContainers ?? []).length && (s.restartPolicy ?? 'Always') === 'Always') s.restartPolicy = 'OnFailure';
  return [s, probes];
}

function portNumber(container, port) {
  if (typeof port === 'number') return port;
  return (container.ports ?? []).find((p) => p.name === port)?.containerPort;
}

// ---- one more replica of a Deployment, as a Pod ----------------------------------
if (opt.replica) {
  const [name, index] = opt.replica.split('=');
  const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
  if (!dep) throw new Error(`no Deployment ${name}`);
  const [spec] = podSpecForPodman(dep.spec.template.spec, { keepPorts: false });
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-pod-${index}`, labels: dep.spec.template.metadata.labels }, spec: { restartPolicy: 'Always', ...spec } };
  // kube play reads ConfigMaps from the same file only: bring the ones it uses.
  const used = new Set();
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const e of c.envFrom ?? []) if (e.configMapRef) used.add(e.configMapRef.name);
    for (const e of c.env ?? []) if (e.valueFrom?.configMapKeyRef) used.add(e.valueFrom.configMapKeyRef.name);
  }
  for (const v of spec.volumes ?? []) if (v.configMap) used.add(v.configMap.name);
  const maps = [...objects.filter((o) => o.kind === 'ConfigMap'), ...givenSecrets.filter((s) => volumeSecrets.has(s.metadata.name)).map(secretAsConfigMap)]
    .filter((o) => used.has(o.metadata.name))
    .map((o) => {
      const m = clone(o);
      delete m.metadata.namespace;
      return m;
    });
  const file = path.join(opt.out, `replica-${name}-${index}.yaml`);
  writeFileSync(file, [...maps, pod].map((o) => YAML.stringify(o)).join('---\n'));
  console.log(file);
  process.exit(0);
}

const out = [];
const plan = { workloads: [], proxies: [], secrets: [], oneShot: [], published: {}, fsGroups: {} };
const workloadsByLabels = []; // [{labels, name, containers, probes}]

for (const obj of objects) {
  const o = clone(obj);
  delete o.metadata.namespace;
  if (DROP.has(o.kind)) continue;
  switch (o.kind) {
    case 'ConfigMap':
    case 'PersistentVolumeClaim':
      out.push(o);
      break;
    case 'Secret': {
      if (volumeSecrets.has(o.metadata.name)) {
        out.push(secretAsConfigMap(o));
        break;
      }
      const flat = secretValues(o);
      const file = path.join(opt.out, 'secrets', `${o.metadata.name}.json`);
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, JSON.stringify(flat), { mode: 0o600 });
      plan.secrets.push({ name: o.metadata.name, file });
      break;
    }
    case 'StatefulSet':
    case 'Deployment': {
      const [spec, probes] = podSpecForPodman(o.spec.template.spec);
      const dep = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: o.metadata.name, labels: o.metadata.labels },
        spec: { replicas: o.spec.replicas ?? 1, selector: o.spec.selector, template: { metadata: o.spec.template.metadata, spec } },
      };
      for (const t of o.spec.volumeClaimTemplates ?? []) {
        const claim = `${t.metadata.name}-${o.metadata.name}-0`;
        out.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: claim }, spec: t.spec });
        spec.volumes = [...(spec.volumes ?? []), { name: t.metadata.name, persistentVolumeClaim: { claimName: claim } }];
      }
      out.push(dep);
      const w = { name: o.metadata.name, replicas: dep.spec.replicas, labels: o.spec.template.metadata.labels, containers: [] };
      const fsGroup = o.spec.template.spec.securityContext?.fsGroup;
      if (fsGroup !== undefined) plan.fsGroups[o.metadata.name] = fsGroup;
      for (const c of o.spec.template.spec.containers) {
        const r = probes[c.name].readiness;
        let ready = null;
        if (r?.httpGet) ready = { type: 'http', port: portNumber(c, r.httpGet.port), path: r.httpGet.path };
        else if (r?.tcpSocket) ready = { type: 'tcp', port: portNumber(c, r.tcpSocket.port) };
        else if (r?.exec) ready = { type: 'tcp', port: c.ports?.[0]?.containerPort };
        if (ready) ready.failureThreshold = r.failureThreshold ?? 3;
        const l = probes[c.name].liveness;
        const live = l?.httpGet ? { type: 'http', port: portNumber(c, l.httpGet.port), path: l.httpGet.path } : null;
        w.containers.push({ name: c.name, ready, live, ports: c.ports ?? [] });
      }
      plan.workloads.push(w);
      workloadsByLabels.push(w);
      for (const c of o.spec.template.spec.containers)
        for (const p of c.ports ?? []) if (p.hostPort) plan.published[`${o.metadata.name}/${p.name}`] = { host: p.hostIP ?? '127.0.0.1', port: p.hostPort };
      break;
    }
    case 'Job': {
      const [spec] = podSpecForPodman(o.spec.template.spec);
      out.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: o.metadata.name, labels: o.spec.template.metadata.labels }, spec: { ...spec, restartPolicy: 'OnFailure' } });
      plan.oneShot.push({ name: o.metadata.name, containers: o.spec.template.spec.containers.map((c) => c.name) });
      break;
    }
    case 'Service':
      break; // below, once every workload is known
    default:
      console.error(`kube-to-podman: ${o.kind} ${o.metadata.name}: not mapped, dropped`);
  }
}

// ---- Services -> haproxy pods ----------------------------------------------------------
let hostOffset = 0;
for (const svc of objects.filter((o) => o.kind === 'Service' && o.spec?.clusterIP !== 'None')) {
  const name = svc.metadata.name;
  const sel = svc.spec.selector ?? {};
  const w = workloadsByLabels.find((x) => Object.entries(sel).every(([k, v]) => x.labels[k] === v));
  if (!w) throw new Error(`Service ${name}: no workload matches its selector`);
  const c = w.containers[0];
  // Host ports a Service must have (the gateway's, where the suite sends
  // every request): "NAME=PORT,..." in the annotation the podman overlay sets.
  const fixed = Object.fromEntries(
    (svc.metadata.annotations?.[HOST_PORTS] ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=').map((x) => x.trim()))
      .map(([k, v]) => [k, Number(v)]),
  );
  const lines = [
    `# haproxy standing in for the Service ${name} (kube-to-podman.mjs)`,
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 1h',
    '  timeout server 1h',
    '  timeout check 2s',
    // As Endpoints do: a replica leaves the Service after its readiness
    // probe's failureThreshold checks in a row have failed, and the
    // connections it already has stay open (kube-proxy keeps established
    // flows; a replica that dies closes its own). One slow check on a busy
    // machine must not cut every connection of a live replica.
    `  default-server init-addr last,libc,none resolvers podman check inter 500ms rise 1`,
    'resolvers podman',
    '  parse-resolv-conf',
    '  hold valid 1s',
    '  hold nx 1s',
    '  hold obsolete 1s',
  ];
  const proxyPorts = [];
  for (const sp of svc.spec.ports) {
    const target = typeof sp.targetPort === 'number' ? sp.targetPort : (c.ports.find((p) => p.name === (sp.targetPort ?? sp.name))?.containerPort ?? sp.port);
    const be = `be_${sp.name ?? sp.port}`;
    lines.push(`frontend fe_${sp.name ?? sp.port}`, `  bind :${sp.port}`, `  tcp-request connection reject if { nbsrv(${be}) eq 0 }`, `  default_backend ${be}`);
    lines.push(`backend ${be}`, '  balance roundrobin');
    let check = '';
    if (c.ready?.type === 'http') {
      // The admin port stays reachable while the process lives (/healthz),
      // so that its /readyz can be seen saying 503.
      const p = sp.name === 'admin' && c.live?.path ? c.live.path : c.ready.path;
      lines.push(`  option httpchk GET ${p}`, '  http-check expect status 200');
      check = ` port ${c.ready.port}`;
    } else if (c.ready?.type === 'tcp') {
      check = ` port ${c.ready.port}`;
    }
    if (c.ready) check += ` fall ${c.ready.failureThreshold}`;
    for (let i = 0; i < MAX_REPLICAS; i++) lines.push(`  server r${i} ${w.name}-pod-${i}.${DNS_DOMAIN}:${target}${check}`);
    // Every Service port is published on the host's loopback too, for the
    // suite's white-box tests (admin ports, raw RPC sockets, the database).
    const port = { name: sp.name, containerPort: sp.port, hostPort: fixed[sp.name] ?? ADMIN_BASE + 1 + hostOffset++, hostIP: '127.0.0.1' };
    plan.published[`${w.name}/${sp.name ?? sp.port}`] = { host: '127.0.0.1', port: port.hostPort, via: name };
    proxyPorts.push(port);
  }
  out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `proxy-${name}` }, data: { 'haproxy.cfg': `${lines.join('\n')}\n` } });
  const hasPublished = proxyPorts.some((p) => p.hostPort);
  out.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { 'app.kubernetes.io/name': `proxy-${name}`, 'app.kubernetes.io/part-of': 'r-cycle' } },
    spec: {
      restartPolicy: 'Always',
      containers: [
        {
          name: 'proxy',
          image: opt['proxy-image'],
          ...(hasPublished ? { ports: proxyPorts.filter((p) => p.hostPort) } : {}),
          resources: { limits: { cpu: '200m', memory: '64Mi' } },
          securityContext: { runAsNonRoot: true, runAsUser: 10001, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          volumeMounts: [{ name: 'config', mountPath: '/etc/haproxy', readOnly: true }],
        },
      ],
      volumes: [{ name: 'config', configMap: { name: `proxy-${name}` } }],
    },
  });
  plan.proxies.push({ name, workload: w.name, ports: svc.spec.ports.map((p) => p.port) });
}

for (const s of givenSecrets) {
  if (volumeSecrets.has(s.metadata.name)) {
    out.push(secretAsConfigMap(s));
    continue;
  }
  const file = path.join(opt.out, 'secrets', `${s.metadata.name}.json`);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(secretValues(s)), { mode: 0o600 });
  plan.secrets.push({ name: s.metadata.name, file });
}

// stack.yaml: ConfigMaps and volumes first, then the workloads and proxies;
// jobs.yaml: the Jobs (as Pods) with the ConfigMaps they mount, played after.
const oneShot = new Set(plan.oneShot.map((j) => j.name));
// kube play waits for a pod's init containers: the pods that wait for
// something (the services' schema-wait, for db-init) come after those they wait for.
const hasInit = (o) => ((o.kind === 'Deployment' ? o.spec.template.spec : o.spec)?.initContainers ?? []).length > 0;
const order = (o) => (o.kind === 'ConfigMap' || o.kind === 'PersistentVolumeClaim' ? 0 : hasInit(o) ? 2 : 1);
const stack = out.filter((o) => !(o.kind === 'Pod' && oneShot.has(o.metadata.name))).sort((a, b) => order(a) - order(b));
const jobs = out.filter((o) => o.kind === 'Pod' && oneShot.has(o.metadata.name));
const mounted = new Set(jobs.flatMap((j) => (j.spec.volumes ?? []).map((v) => v.configMap?.name).filter(Boolean)));
const jobObjects = [...out.filter((o) => o.kind === 'ConfigMap' && mounted.has(o.metadata.name)), ...jobs];
writeFileSync(path.join(opt.out, 'stack.yaml'), stack.map((o) => YAML.stringify(o)).join('---\n'));
writeFileSync(path.join(opt.out, 'jobs.yaml'), jobObjects.map((o) => YAML.stringify(o)).join('---\n'));
// The named volumes kube play makes (one per ConfigMap volume and per claim):
// play.sh down removes them.
plan.volumes = [
  ...new Set(
    out.flatMap((o) => ((o.kind === 'Deployment' ? o.spec.template.spec : o.kind === 'Pod' ? o.spec : {}).volumes ?? []).map((v) => v.configMap?.name ?? v.persistentVolumeClaim?.claimName).filter(Boolean)),
  ),
].sort();
writeFileSync(path.join(opt.out, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
console.log(`kube-to-podman: ${out.length} objects for kube play, ${plan.proxies.length} Service proxies, ${plan.secrets.length} secret(s) -> ${opt.out}`);
