// schema.mjs - validates Kubernetes objects offline against the schemas of
// the npm package kubernetes-models (types, required fields, enums, formats),
// and rejects unknown fields, which those validators let through: the field
// names of every type are read from the package's TypeScript declarations.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const MODELS_DIR = path.dirname(require.resolve('kubernetes-models/package.json'));
const NODE_MODULES = path.dirname(MODELS_DIR);

// 'a.b[0].c' from ['a', 'b', 0, 'c'].
export function fieldPath(parts) {
  let s = '';
  for (const p of parts) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(the object)';
}

// ajv's "/spec/template/spec/containers/0" as "spec.template.spec.containers[0]".
function pointerToPath(pointer) {
  return fieldPath(
    pointer
      .split('/')
      .slice(1)
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((t) => (/^\d+$/.test(t) ? Number(t) : t)),
  );
}

// ---- the declarations: one parsed interface per .d.ts file -----------------

const shapes = new Map(); // file -> {props: Map name -> type} | null (no interface)

function resolveSpecifier(fromFile, spec) {
  let base;
  if (spec.startsWith('.')) base = path.resolve(path.dirname(fromFile), spec);
  else base = path.join(NODE_MODULES, spec);
  base = base.replace(/\.js$/, '');
  return existsSync(`${base}.d.ts`) ? `${base}.d.ts` : undefined;
}

// The text of a type starting at body[i], up to the ';' at depth 0.
function readType(body, i) {
  let depth = 0;
  let j = i;
  for (; j < body.length; j++) {
    const c = body[j];
    if (c === '{' || c === '<' || c === '(') depth++;
    else if (c === '}' || c === '>' || c === ')') depth--;
    else if (c === ';' && depth === 0) break;
  }
  return [body.slice(i, j).trim(), j + 1];
}

function parseType(text, imports) {
  text = text.replace(/\s*\|\s*null$/, '').trim();
  let m = /^Array<([\s\S]*)>$/.exec(text);
  if (m) return { array: parseType(m[1], imports) };
  m = /^\{\s*\[key: string\]:\s*([\s\S]*?);?\s*\}$/.exec(text);
  if (m) return { map: parseType(m[1], imports) };
  if (imports.has(text)) return { ref: imports.get(text) };
  return { leaf: text };
}

function shapeOf(file) {
  if (shapes.has(file)) return shapes.get(file);
  const src = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const imports = new Map();
  for (const m of src.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g)) {
    const target = resolveSpecifier(file, m[2]);
    if (!target) continue;
    for (const name of m[1].split(',').map((s) => s.trim())) imports.set(name, target);
  }
  const start = /export interface \w+(?: extends ([\w, ]+))? \{/.exec(src);
  if (!start) {
    shapes.set(file, null);
    return null;
  }
  // The interface body: up to the brace that closes it.
  let depth = 1;
  let i = start.index + start[0].length;
  const bodyStart = i;
  for (; i < src.length && depth > 0; i++) {
    if (src[i] === '{') depth++;
    else if (src[i] === '}') depth--;
  }
  const body = src.slice(bodyStart, i - 1);
  // The fields of the interfaces it extends (the Gateway API's specs do).
  const props = new Map();
  for (const parent of (start[1] ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const inherited = imports.has(parent) ? shapeOf(imports.get(parent)) : null;
    for (const [k, v] of inherited?.props ?? []) props.set(k, v);
  }
  const propRe = /"([^"]+)"\??:\s*/g;
  let pm;
  while ((pm = propRe.exec(body))) {
    const [typeText, next] = readType(body, pm.index + pm[0].length);
    props.set(pm[1], parseType(typeText, imports));
    propRe.lastIndex = next;
  }
  const shape = { props };
  shapes.set(file, shape);
  return shape;
}

function unknownFields(value, type, at, out) {
  if (value === null || value === undefined) return;
  if (type.array) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, type.array, [...at, i], out));
    return;
  }
  if (type.map) {
    if (typeof value === 'object' && !Array.isArray(value))
      for (const [k, v] of Object.entries(value)) unknownFields(v, type.map, [...at, k], out);
    return;
  }
  if (!type.ref) return;
  const shape = shapeOf(type.ref);
  if (!shape || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const t = shape.props.get(k);
    if (!t) out.push({ path: fieldPath([...at, k]), message: 'unknown field' });
    else unknownFields(v, t, [...at, k], out);
  }
}

// ---- the models ---------------------------------------------------------------

// The Gateway API (HTTPRoute) and the Prometheus Operator (ServiceMonitor,
// PrometheusRule) have their models in packages of their own.
function modelModule(apiVersion) {
  if (apiVersion.startsWith('gateway.networking.k8s.io/')) return `@kubernetes-models/gateway-api/${apiVersion}`;
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return apiVersion.includes('/') ? `kubernetes-models/${apiVersion}` : `kubernetes-models/v1`;
}

export function objectName(obj) {
  const ns = obj?.metadata?.namespace;
  return `${obj?.kind ?? '?'} ${ns ? `${ns}/` : ''}${obj?.metadata?.name ?? '?'}`;
}

// Problems of one object: [{path, message}]; empty when it is valid.
export async function validateObject(obj) {
  const problems = [];
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return [{ path: '(the document)', message: 'not an object' }];
  for (const f of ['apiVersion', 'kind']) if (typeof obj[f] !== 'string') problems.push({ path: f, message: 'missing' });
  if (typeof obj.metadata?.name !== 'string') problems.push({ path: 'metadata.name', message: 'missing' });
  if (problems.length) return problems;
  let mod;
  try {
    mod = await import(modelModule(obj.apiVersion));
  } catch {
    return [{ path: 'apiVersion', message: `unknown API version ${obj.apiVersion}` }];
  }
  const Model = mod[obj.kind];
  if (typeof Model !== 'function' || Model.apiVersion !== obj.apiVersion) {
    return [{ path: 'kind', message: `no kind ${obj.kind} in ${obj.apiVersion}` }];
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    for (const err of e.errors ?? [{ instancePath: '', message: e.message }]) {
      let p = pointerToPath(err.instancePath ?? '');
      let message = err.message ?? 'invalid';
      if (err.keyword === 'required' && err.params?.missingProperty) {
        p = err.instancePath ? `${p}.${err.params.missingProperty}` : err.params.missingProperty;
        message = 'required field missing';
      } else if (err.keyword === 'enum' && err.params?.allowedValues) {
        message = `must be one of ${err.params.allowedValues.join(', ')}`;
      }
      problems.push({ path: p, message });
    }
  }
  const file = resolveSpecifier(path.join(NODE_MODULES, modelModule(obj.apiVersion), 'x'), `./${obj.kind}.js`);
  if (file) {
    const shape = shapeOf(file);
    if (shape) {
      for (const [k, v] of Object.entries(obj)) {
        const t = shape.props.get(k);
        if (!t) problems.push({ path: k, message: 'unknown field' });
        else unknownFields(v, t, [k], problems);
      }
    }
  }
  return problems;
}
