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

// Problems of one rendered overlay (an array of objects).
export function policyProblems(objects, { namespace = 'r-cycle' } = {}) {
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
      if (!byKind('HorizontalPodAutoscaler').some((h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec?.scaleTargetRef?.name === obj.metadata.name))
        push(obj, 'metadata.name', 'no HorizontalPodAutoscaler scales this Deployment');
    }
  }
  const denyAll = byKind('NetworkPolicy').some(
    (np) => Object.keys(np.spec?.podSelector ?? {}).length === 0 && ['Ingress', 'Egress'].every((t) => np.spec?.policyTypes?.includes(t)) && !np.spec?.ingress && !np.spec?.egress,
  );
  if (!denyAll) problems.push({ object: 'NetworkPolicy (default deny)', path: 'spec', message: 'missing: one policy must select every pod and allow nothing' });
  return problems;
}
