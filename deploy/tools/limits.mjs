// limits.mjs - numbers of the sources that the manifests must agree with,
// read from the tree so that a change there cannot leave the manifests
// behind: the gateway's request body limits (GW_MAX_BODY_BYTES,
// H2O_MAX_ENTITY_BYTES) and the newest migration of each schema.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// The value of a constant expression made of integers, '*' and parentheses.
function product(expr) {
  if (!/^[\d\s*()]+$/.test(expr)) return NaN;
  return expr
    .replace(/[()]/g, '')
    .split('*')
    .reduce((acc, n) => acc * Number(n.trim()), 1);
}

// The largest request body limit defined in the gateway's sources, in bytes.
export function gatewayMaxBody(dir = path.join(ROOT, 'gateway')) {
  const limits = [];
  for (const f of readdirSync(dir).filter((n) => /\.[ch]$/.test(n))) {
    for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/^#define\s+(\w*MAX_(?:BODY|ENTITY)_BYTES)\s+(.+)$/gm)) {
      const v = product(m[2].replace(/\/\*.*$/, '').trim());
      if (Number.isFinite(v)) limits.push(v);
    }
  }
  if (limits.length === 0) throw new Error(`no *MAX_BODY_BYTES / *MAX_ENTITY_BYTES constant in ${dir}: limits.mjs must learn where the gateway keeps its body limit`);
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
