// policy.mjs - the rules every rendered overlay of R-Cycle keeps. Each
// problem names the object and the field: {object, path, message}.
import { fieldPath, objectName } from './schema.mjs';

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod']);
const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'IngressClass', 'PriorityClass']);

// [podSpecPath, podSpec, podLabels] of a workload.
function podOf(obj) {
  switch (obj.kind) {
    case 'Pod':
      return [['spec'], obj.spec, obj.metadata?.labels ?? {}];
    case 'CronJob':
      return [['spec', 'jobTemplate', 'spec', 'template', 'spec'], obj.spec?.jobTemplate?.spec?.template?.spec, obj.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {}];
    default:
      return [['spec', 'template', 'spec'], obj.spec?.template?.spec, obj.spec?.template?.metadata?.labels ?? {}];
  }
}

const matches = (selector, labels) =>
  selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

// The admin-port probes of the R-Cycle processes: /healthz live, /readyz ready.
function probeProblems(c, at, obj) {
  const out = [];
  for (const probe of ['livenessProbe', 'readinessProbe']) {
    if (!c[probe]) out.push({ path: fieldPath([...at, probe]), message: `missing (container ${c.name})` });
  }
  const component = obj.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'];
  if (obj.kind === 'Deployment' && (component === 'service' || component === 'gateway')) {
    const want = { livenessProbe: '/healthz', readinessProbe: '/readyz' };
    for (const [probe, p] of Object.entries(want)) {
      const g = c[probe]?.httpGet;
      if (c[probe] && (!g || g.path !== p || (g.port !== 'admin' && !c.ports?.some((x) => x.name === 'admin' && x.containerPort === g.port))))
        out.push({ path: fieldPath([...at, probe]), message: `must be httpGet ${p} on the admin port` });
    }
  }
  return out;
}

function containerProblems(obj, c, at, podSec, initContainer) {
  const out = [];
  const add = (p, message) => out.push({ path: fieldPath([...at, ...p]), message: `${message} (container ${c.name})` });
  const lim = c.resources?.limits ?? {};
  const req = c.resources?.requests ?? {};
  if (!lim.cpu) add(['resources', 'limits', 'cpu'], 'missing');
  if (!lim.memory) add(['resources', 'limits', 'memory'], 'missing');
  if (!req.cpu) add(['resources', 'requests', 'cpu'], 'missing');
  if (!req.memory) add(['resources', 'requests', 'memory'], 'missing');
  const sc = c.securityContext ?? {};
  if (sc.runAsNonRoot !== true && podSec.runAsNonRoot !== true) add(['securityContext', 'runAsNonRoot'], 'must be true');
  const uid = sc.runAsUser ?? podSec.runAsUser;
  if (uid === 0) add(['securityContext', 'runAsUser'], 'must not be 0');
  if (sc.readOnlyRootFilesystem !== true) add(['securityContext', 'readOnlyRootFilesystem'], 'must be true');
  if (sc.allowPrivilegeEscalation !== false) add(['securityContext', 'allowPrivilegeEscalation'], 'must be false');
  if (sc.privileged === true) add(['securityContext', 'privileged'], 'must not be true');
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) add(['securityContext', 'capabilities', 'drop'], 'must hold ALL');
  if ((sc.capabilities?.add ?? []).length) add(['securityContext', 'capabilities', 'add'], 'must be empty');
  const seccomp = sc.seccompProfile?.type ?? podSec.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') add(['securityContext', 'seccompProfile', 'type'], 'must be RuntimeDefault');
  const image = c.image ?? '';
  const ref = image.split('@')[0];
  const tag = /:([^/:]+)$/.exec(ref)?.[1];
  if (!image) add(['image'], 'missing');
  else if (!image.includes('@') && (!tag || tag === 'latest')) add(['image'], `"${image}" needs a version tag, not latest or none`);
  if (!initContainer && LONG_RUNNING.has(obj.kind)) out.push(...probeProblems(c, at, obj));
  return out;
}

// Bytes of a Kubernetes/nginx size: "8m" (nginx: MiB), "512k", "1g", "1048576".
export function sizeBytes(text) {
  const m = /^\s*(\d+)\s*([kKmMgG]?)\s*$/.exec(String(text));
  if (!m) return NaN;
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()];
}

// nginx answers a body over its limit itself (an HTML 413 or a reset) before
// the gateway can give the API's JSON 413: its limit must be at least the
// largest one of the gateway. nginx's default is 1m; "0" turns it off.
function ingressBodyProblems(ing, gatewayMaxBody) {
  if (!gatewayMaxBody) return [];
  const key = 'nginx.ingress.kubernetes.io/proxy-body-size';
  const given = ing.metadata?.annotations?.[key] ?? '1m';
  const bytes = sizeBytes(given);
  if (bytes === 0) return [];
  if (!(bytes >= gatewayMaxBody))
    return [{ path: `metadata.annotations.${key}`, message: `"${given}" is below the gateway's largest body limit (${gatewayMaxBody} bytes): the ingress would answer 413 instead of the gateway` }];
  return [];
}

// A pod that reads a database starts its code only once the schema of its
// release is applied: an init container "rcycle-pg schema-wait SCHEMA:N"
// with N the newest migration of db/migrations/SCHEMA.
function schemaWaitProblems(pod, podPath, migrations) {
  const usesDb = (pod.containers ?? []).some((c) => (c.env ?? []).some((e) => e.name === 'DATABASE_URL'));
  if (!usesDb) return [];
  const i = (pod.initContainers ?? []).findIndex((c) => (c.command ?? []).includes('schema-wait'));
  if (i < 0) return [{ path: fieldPath([...podPath, 'initContainers']), message: 'no schema-wait init container: the new code could start before its migrations ran' }];
  const out = [];
  const specs = pod.initContainers[i].command.filter((a) => /^[a-z_]+:\d+$/.test(a));
  if (specs.length === 0) out.push({ path: fieldPath([...podPath, 'initContainers', i, 'command']), message: 'names no SCHEMA:VERSION' });
  for (const spec of specs) {
    const [schema, v] = spec.split(':');
    if (migrations[schema] === undefined) out.push({ path: fieldPath([...podPath, 'initContainers', i, 'command']), message: `no schema ${schema} in db/migrations` });
    else if (Number(v) !== migrations[schema])
      out.push({ path: fieldPath([...podPath, 'initContainers', i, 'command']), message: `waits for ${schema} at version ${v}, but the newest migration of db/migrations/${schema} is ${migrations[schema]}: set it to "${schema}:${migrations[schema]}"` });
  }
  return out;
}

// The tag of an image reference ("0.1.0" of "localhost/rcycle/migrate:0.1.0@sha256:...").
const tagOf = (image) => /:([^/:@]+)(@|$)/.exec(image ?? '')?.[1];

// Problems of one rendered overlay (an array of objects). gatewayMaxBody:
// the largest request body the gateway takes; migrations: the newest
// migration of each schema (check-manifests.mjs reads both from the tree).
export function policyProblems(objects, { namespace = 'r-cycle', gatewayMaxBody = 0, migrations = null } = {}) {
  const problems = [];
  const push = (obj, path, message) => problems.push({ object: objectName(obj), path, message });
  const byKind = (k) => objects.filter((o) => o.kind === k);
  const serviceAccounts = new Map(byKind('ServiceAccount').map((o) => [o.metadata.name, o]));

  for (const obj of objects) {
    if (!CLUSTER_SCOPED.has(obj.kind) && obj.metadata?.namespace !== namespace)
      push(obj, 'metadata.namespace', `must be ${namespace}`);
    if (obj.kind === 'Secret') push(obj, 'kind', 'Secrets are made by deploy/secret.sh, never rendered from the repository');
    if (obj.kind === 'ServiceAccount' && obj.automountServiceAccountToken !== false)
      push(obj, 'automountServiceAccountToken', 'must be false');
    if (!WORKLOADS.has(obj.kind)) continue;

    const [podPath, pod, labels] = podOf(obj);
    if (!pod) {
      push(obj, fieldPath(podPath), 'missing');
      continue;
    }
    const podSec = pod.securityContext ?? {};
    if (pod.automountServiceAccountToken !== false) push(obj, fieldPath([...podPath, 'automountServiceAccountToken']), 'must be false');
    if (!pod.serviceAccountName) push(obj, fieldPath([...podPath, 'serviceAccountName']), 'missing (each workload has its own)');
    else if (!serviceAccounts.has(pod.serviceAccountName)) push(obj, fieldPath([...podPath, 'serviceAccountName']), `no ServiceAccount ${pod.serviceAccountName}`);
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) push(obj, fieldPath(podPath), 'must not use the host namespaces');
    // Without OnRootMismatch the kubelet makes every file of the volume
    // group-writable on each mount of a CSI volume, and PostgreSQL refuses
    // a data directory that is group-writable.
    if (podSec.fsGroup !== undefined && podSec.fsGroupChangePolicy !== 'OnRootMismatch')
      push(obj, fieldPath([...podPath, 'securityContext', 'fsGroupChangePolicy']), 'must be OnRootMismatch where fsGroup is set');
    for (const list of ['initContainers', 'containers']) {
      (pod[list] ?? []).forEach((c, i) => {
        for (const p of containerProblems(obj, c, [...podPath, list, i], podSec, list === 'initContainers')) problems.push({ object: objectName(obj), ...p });
      });
    }
    if (!byKind('NetworkPolicy').some((np) => matches(np.spec?.podSelector?.matchLabels, labels)))
      push(obj, fieldPath([...podPath.slice(0, -1), 'metadata', 'labels']), 'no NetworkPolicy selects these pods');
    if (LONG_RUNNING.has(obj.kind)) {
      if (!byKind('Service').some((s) => matches(s.spec?.selector, labels) && s.spec?.clusterIP !== 'None'))
        push(obj, 'spec.template.metadata.labels', 'no Service selects these pods');
    }
    if (obj.kind === 'Deployment') {
      if (!byKind('PodDisruptionBudget').some((p) => matches(p.spec?.selector?.matchLabels, labels)))
        push(obj, 'spec.template.metadata.labels', 'no PodDisruptionBudget selects these pods');
      const hpa = byKind('HorizontalPodAutoscaler').find((h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec?.scaleTargetRef?.name === obj.metadata.name);
      if (!hpa) push(obj, 'metadata.name', 'no HorizontalPodAutoscaler scales this Deployment');
      // Each apply would reset the count the HPA chose.
      else if (obj.spec?.replicas !== undefined) push(obj, 'spec.replicas', `must be left out: HorizontalPodAutoscaler ${hpa.metadata.name} owns it`);
      // The endpoints controller, kube-proxy and the ingress take a few
      // seconds to stop sending to a terminating pod: it must keep serving.
      pod.containers.forEach((c, i) => {
        if (!c.lifecycle?.preStop) push(obj, fieldPath([...podPath, 'containers', i, 'lifecycle', 'preStop']), `missing: a drain before SIGTERM (container ${c.name})`);
      });
      // Utilisation is relative to the request: a tiny request scales on noise.
      const onCpu = hpa?.spec?.metrics?.some((m) => m.resource?.name === 'cpu');
      pod.containers.forEach((c, i) => {
        const cpu = c.resources?.requests?.cpu;
        const milli = typeof cpu === 'string' && cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
        if (onCpu && cpu !== undefined && !(milli >= 100))
          push(obj, fieldPath([...podPath, 'containers', i, 'resources', 'requests', 'cpu']), `${cpu} is below 100m: the HorizontalPodAutoscaler would scale on a few requests (container ${c.name})`);
      });
    }
    if (obj.kind === 'Deployment' && migrations) for (const p of schemaWaitProblems(pod, podPath, migrations)) push(obj, p.path, p.message);
    // A Job's template cannot change: a new release needs a new Job, named
    // after the version of its images.
    if (obj.kind === 'Job') {
      const tag = tagOf(pod.containers?.[0]?.image);
      const suffix = tag ? `-${tag.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}` : undefined;
      if (!suffix || !obj.metadata.name.endsWith(suffix))
        push(obj, 'metadata.name', `must end in the version of its image${suffix ? ` (${suffix})` : ''}: a Job's template is immutable, so each release needs its own Job`);
    }
  }
  for (const ing of byKind('Ingress')) for (const p of ingressBodyProblems(ing, gatewayMaxBody)) push(ing, p.path, p.message);
  // An HTTPRoute sends to a port of a Service of the overlay.
  for (const route of byKind('HTTPRoute')) {
    (route.spec?.rules ?? []).forEach((rule, i) =>
      (rule.backendRefs ?? []).forEach((ref, j) => {
        const svc = byKind('Service').find((s) => s.metadata.name === ref.name);
        if (!svc || !svc.spec?.ports?.some((p) => p.port === ref.port))
          push(route, `spec.rules[${i}].backendRefs[${j}]`, `no Service ${ref.name} with port ${ref.port}`);
      }),
    );
  }
  // Monitoring: a ServiceMonitor scrapes a named port of a Service it
  // selects, and once an overlay has any, every process is scraped.
  const monitors = byKind('ServiceMonitor');
  for (const sm of monitors) {
    const svc = byKind('Service').find((s) => matches(sm.spec?.selector?.matchLabels, s.metadata?.labels ?? {}));
    if (!svc) push(sm, 'spec.selector.matchLabels', 'no Service has these labels');
    (sm.spec?.endpoints ?? []).forEach((ep, i) => {
      if (svc && !svc.spec?.ports?.some((p) => p.name === ep.port)) push(sm, `spec.endpoints[${i}].port`, `Service ${svc.metadata.name} has no port named ${ep.port}`);
    });
  }
  if (monitors.length) {
    for (const obj of byKind('Deployment')) {
      const component = obj.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'];
      if (component !== 'service' && component !== 'gateway') continue;
      const labels = obj.spec.template.metadata.labels;
      const scraped = monitors.some((sm) => {
        const svc = byKind('Service').find((s) => matches(sm.spec?.selector?.matchLabels, s.metadata?.labels ?? {}));
        return svc && matches(svc.spec?.selector, labels);
      });
      if (!scraped) push(obj, 'spec.template.metadata.labels', 'no ServiceMonitor scrapes these pods');
    }
  }
  const denyAll = byKind('NetworkPolicy').some(
    (np) => Object.keys(np.spec?.podSelector ?? {}).length === 0 && ['Ingress', 'Egress'].every((t) => np.spec?.policyTypes?.includes(t)) && !np.spec?.ingress && !np.spec?.egress,
  );
  if (!denyAll) problems.push({ object: 'NetworkPolicy (default deny)', path: 'spec', message: 'missing: one policy must select every pod and allow nothing' });
  return problems;
}
