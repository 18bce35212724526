#!/usr/bin/env node
// check-manifests.mjs - offline checks of rendered manifests (make test-deploy).
//
//   node deploy/tools/check-manifests.mjs [--policy] FILE...   (FILE may be - for stdin)
//
// Every object: the Kubernetes schema (types, required fields) and no
// unknown field. With --policy, each FILE is one rendered overlay and must
// also keep the rules of policy.mjs (with the gateway's body limit and the
// newest migrations, read from the tree by limits.mjs). Prints one line per problem, naming
// the file, the object and the field; exits 1 if there is any.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';

import { gatewayMaxBody, latestMigrations } from './limits.mjs';
import { policyProblems } from './policy.mjs';
import { objectName, validateObject } from './schema.mjs';

export async function checkText(text, { policy = false } = {}) {
  const problems = [];
  const objects = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    if (doc.errors.length) {
      problems.push({ object: '(YAML)', path: '', message: doc.errors[0].message });
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    objects.push(obj);
    for (const p of await validateObject(obj)) problems.push({ object: objectName(obj), ...p });
  }
  if (policy) problems.push(...policyProblems(objects, { gatewayMaxBody: gatewayMaxBody(), migrations: latestMigrations() }));
  return { objects, problems };
}

export const formatProblem = (file, p) => `${file}: ${p.object}: ${p.path}: ${p.message}`;

async function main(argv) {
  const policy = argv.includes('--policy');
  const files = argv.filter((a) => a !== '--policy');
  if (files.length === 0) {
    console.error('usage: check-manifests.mjs [--policy] FILE...');
    return 2;
  }
  let bad = 0;
  for (const file of files) {
    const { objects, problems } = await checkText(readFileSync(file === '-' ? 0 : file, 'utf8'), { policy });
    for (const p of problems) console.error(formatProblem(file, p));
    bad += problems.length;
    console.log(`${file}: ${objects.length} objects, ${problems.length} problem(s)${policy ? ' (schema, unknown fields, policy)' : ' (schema, unknown fields)'}`);
  }
  return bad ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
