// check-openapi.mjs - CI's check of docs/openapi.yaml, no stack needed:
//   1. the document is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator,
//      against the specification's own JSON Schema);
//   2. every schema in it compiles under ajv's strict mode, the way the
//      integration suite compiles them (openapi.mjs), and every $ref resolves;
//   3. its paths are exactly the routes of gateway/routes.c, so a route added
//      to the gateway without a contract (or the reverse) fails here.
// Prints one line per check; exit status 1 on any failure.
//
//   node test/integration/tools/check-openapi.mjs
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Validator } from '@seriousme/openapi-schema-validator';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DOC = path.join(ROOT, 'docs', 'openapi.yaml');
let failed = 0;
const ok = (what) => console.log(`ok   ${what}`);
const bad = (what) => {
  failed++;
  console.log(`FAIL ${what}`);
};

const validator = new Validator();
const result = await validator.validate(DOC);
if (result.valid) ok(`${path.relative(ROOT, DOC)} is valid OpenAPI ${validator.version}`);
else bad(`${path.relative(ROOT, DOC)} is not valid OpenAPI: ${JSON.stringify(result.errors, null, 2)}`);

let openapi;
try {
  openapi = await import('../openapi.mjs');
  const n = openapi.compileAll();
  ok(`all ${n} schemas compile (ajv strict, JSON Schema 2020-12, ajv-formats)`);
} catch (e) {
  bad(`the schemas do not compile: ${e.message}`);
}

if (openapi) {
  // Every $ref of the document resolves, and every schema is compiled once.
  const refs = [];
  const walk = (node) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) k === '$ref' ? refs.push(v) : walk(v);
  };
  walk(openapi.doc);
  const missing = refs.filter((r) => r.slice(2).split('/').reduce((o, k) => o?.[k], openapi.doc) === undefined);
  if (missing.length === 0) ok(`all ${refs.length} $refs resolve`);
  else bad(`unresolved $refs: ${[...new Set(missing)].join(', ')}`);

  const routes = [...readFileSync(path.join(ROOT, 'gateway', 'routes.c'), 'utf8').matchAll(/\{"([A-Z]+)", "([^"]+)",/g)]
    .map((m) => `${m[1]} ${m[2]}`)
    .sort();
  const documented = openapi.operations().sort();
  const undocumented = routes.filter((r) => !documented.includes(r));
  const unserved = documented.filter((r) => !routes.includes(r));
  if (routes.length === 0) bad('found no route in gateway/routes.c');
  else if (undocumented.length === 0 && unserved.length === 0)
    ok(`the ${documented.length} operations on ${Object.keys(openapi.doc.paths).length} paths are exactly the routes of gateway/routes.c`);
  else bad(`routes.c and the document differ: not documented [${undocumented.join('; ')}], not served [${unserved.join('; ')}]`);
}

process.exit(failed === 0 ? 0 : 1);
