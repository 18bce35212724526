// limits.mjs - numbers of the sources that the manifests must agree with,
// read from the tree so that a change there cannot leave the manifests
// behind: the gateway's largest request body limit (its route table) and the
// newest migration of each schema.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// The value of a constant expression made of integers (with C's u suffix),
// the given names, '*' and parentheses.
function product(expr, names = {}) {
  const e = expr.replace(/\b([A-Z_][A-Z0-9_]*)\b/g, (n) => (n in names ? `(${names[n]})` : n)).replace(/(\d+)u\b/g, '$1');
  if (!/^[\d\s*()]+$/.test(e)) return NaN;
  return e
    .replace(/[()]/g, '')
    .split('*')
    .reduce((acc, n) => acc * Number(n.trim()), 1);
}

// The largest request body limit of the gateway, in bytes: the largest
// max_body of its route table (gateway/routes.c, one route a line, the
// fourth field), with the unit constants of gateway/router.h. h2o's own
// entity limit is set to exactly that (router_max_body).
export function gatewayMaxBody(dir = path.join(ROOT, 'gateway')) {
  const names = {};
  for (const m of readFileSync(path.join(dir, 'router.h'), 'utf8').matchAll(/^#define\s+(GW_[KM]IB)\s+(.+)$/gm))
    names[m[1]] = m[2].replace(/\/\*.*$/, '').trim().replace(/^\((.*)\)$/, '$1');
  const limits = [];
  for (const m of readFileSync(path.join(dir, 'routes.c'), 'utf8').matchAll(/^\s*\{"[A-Z]+", "[^"]+", [^,]+, ([^,]+), route_\w+\},$/gm)) {
    const v = product(m[1].trim(), names);
    if (Number.isFinite(v)) limits.push(v);
  }
  if (limits.length === 0) throw new Error(`no route with a body limit in ${dir}/routes.c: limits.mjs must learn where the gateway keeps its body limits`);
  return Math.max(...limits);
}

// The newest migration of each schema: {users: 1, listings: 2, ...} from
// db/migrations/SCHEMA/NNN_name.sql.
export function latestMigrations(dir = path.join(ROOT, 'db', 'migrations')) {
  const out = {};
  for (const schema of readdirSync(dir)) {
    const versions = readdirSync(path.join(dir, schema))
      .map((f) => /^(\d+)_.*\.sql$/.exec(f)?.[1])
      .filter(Boolean)
      .map(Number);
    if (versions.length) out[schema] = Math.max(...versions);
  }
  return out;
}
