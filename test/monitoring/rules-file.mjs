// rules-file.mjs - the PrometheusRule of deploy/k8s/components/monitoring as
// a Prometheus rule file, for promtool and a real Prometheus:
//
//   node test/monitoring/rules-file.mjs OUT
//
// writes its spec.groups to OUT. It also fails unless every alert names its
// runbook (annotation runbook_url deploy/README.md#<alert, lower-case>) and
// deploy/README.md has that section (a heading that is the alert's name).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// The yaml package of the integration suite (test/integration/install.sh).
const YAML = createRequire(path.join(ROOT, 'test/integration/package.json'))('yaml');

const out = process.argv[2];
if (!out) {
  console.error('usage: rules-file.mjs OUT');
  process.exit(2);
}
const rule = YAML.parse(readFileSync(path.join(ROOT, 'deploy/k8s/components/monitoring/rules.yaml'), 'utf8'));
if (rule?.kind !== 'PrometheusRule' || !Array.isArray(rule.spec?.groups)) {
  console.error('rules.yaml: not a PrometheusRule with spec.groups');
  process.exit(1);
}
const readme = readFileSync(path.join(ROOT, 'deploy/README.md'), 'utf8');
const headings = new Set([...readme.matchAll(/^#+ (\S+)\s*$/gm)].map((m) => m[1]));
const problems = [];
for (const g of rule.spec.groups) {
  for (const r of g.rules ?? []) {
    if (!r.alert) continue;
    const runbook = r.annotations?.runbook_url ?? '';
    const anchor = /^deploy\/README\.md#(\S+)$/.exec(runbook)?.[1];
    const section = [...headings].find((h) => h.toLowerCase() === anchor);
    if (!anchor) problems.push(`${r.alert}: runbook_url must be deploy/README.md#<section>, not "${runbook}"`);
    else if (!section) problems.push(`${r.alert}: deploy/README.md has no section "${anchor}"`);
    if (!r.labels?.severity) problems.push(`${r.alert}: no severity label`);
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
writeFileSync(out, YAML.stringify({ groups: rule.spec.groups }));
