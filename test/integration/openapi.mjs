// openapi.mjs - checks HTTP responses against docs/openapi.yaml.
//
// lib.mjs's api() hands every response it receives to checkResponse, so each
// request of the suite is also a check of the contract: the path template and
// method are looked up in the document, the status must be one it lists, the
// headers it marks required must be there and match their schemas, and the
// body must match the schema of the content type (no body where the document
// lists no content). A mismatch throws, which fails the test that made the
// request. Responses the document does not cover (the admin ports, the
// static UI files) are counted as skipped, not checked.
//
// The document's schemas are compiled by ajv (JSON Schema 2020-12, the dialect
// of OpenAPI 3.1) in strict mode with ajv-formats, so a typo in a schema
// keyword fails the suite instead of silently checking nothing.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let Ajv2020, addFormats, YAML;
try {
  ({ default: Ajv2020 } = await import('ajv/dist/2020.js'));
  ({ default: addFormats } = await import('ajv-formats'));
  ({ default: YAML } = await import('yaml'));
} catch (e) {
  throw new Error(`the integration suite's npm packages are missing (run test/integration/install.sh): ${e.message}`);
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DOC_PATH = path.join(ROOT, 'docs', 'openapi.yaml');
export const doc = YAML.parse(readFileSync(DOC_PATH, 'utf8'));

const SCHEMAS_ID = 'https://r-cycle.invalid/openapi/schemas';
const COMPONENT_SCHEMA = '#/components/schemas/';

// The document's schemas refer to each other as #/components/schemas/X; ajv
// holds them as $defs of one schema, so every such $ref is pointed there.
function retarget(node) {
  if (Array.isArray(node)) return node.map(retarget);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith(COMPONENT_SCHEMA))
      out[k] = `${SCHEMAS_ID}#/$defs/${v.slice(COMPONENT_SCHEMA.length)}`;
    else out[k] = retarget(v);
  }
  return out;
}

const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: SCHEMAS_ID, $defs: retarget(doc.components.schemas) });

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const compiled = new Map();
function validatorOf(schema) {
  if (!compiled.has(schema)) compiled.set(schema, ajv.compile(retarget(schema)));
  return compiled.get(schema);
}

// Compiles every schema of the document: the named ones and those of each
// response's headers and content. Throws on the first that ajv refuses.
export function compileAll() {
  ajv.getSchema(SCHEMAS_ID);
  for (const name of Object.keys(doc.components.schemas)) validatorOf({ $ref: `${COMPONENT_SCHEMA}${name}` });
  let n = Object.keys(doc.components.schemas).length;
  const responses = [...Object.values(doc.components.responses)];
  for (const item of Object.values(doc.paths))
    for (const m of METHODS) if (item[m]) responses.push(...Object.values(item[m].responses));
  for (const ref of responses) {
    const response = deref(ref);
    for (const h of Object.values(response.headers ?? {})) validatorOf(deref(h).schema ?? {}), n++;
    for (const media of Object.values(response.content ?? {})) if (media.schema) validatorOf(media.schema), n++;
  }
  return n;
}

// Follows a local $ref (#/components/responses/X, #/components/headers/X).
function deref(obj) {
  let seen = 0;
  while (obj && typeof obj.$ref === 'string') {
    assert.ok(obj.$ref.startsWith('#/'), `only local $refs: ${obj.$ref}`);
    obj = obj.$ref.slice(2).split('/').reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    assert.ok(obj !== undefined && ++seen < 10, `unresolved $ref in ${DOC_PATH}`);
  }
  return obj;
}

// Path templates, literal ones first so that a literal segment wins over a
// parameter.
const templates = Object.keys(doc.paths)
  .map((t) => ({
    template: t,
    params: (t.match(/\{/g) ?? []).length,
    re: new RegExp(`^${t.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+')}$`),
  }))
  .sort((a, b) => a.params - b.params);

export function matchTemplate(pathname) {
  return templates.find((t) => t.re.test(pathname))?.template;
}

// Every operation of the document, as "METHOD /template".
export function operations() {
  const out = [];
  for (const [t, item] of Object.entries(doc.paths))
    for (const m of METHODS) if (item[m]) out.push(`${m.toUpperCase()} ${t}`);
  return out;
}

export const stats = { validated: 0, skipped: 0 };

function fail(res, what) {
  const body = res.text && res.text.length > 300 ? `${res.text.slice(0, 300)}...` : res.text;
  throw new assert.AssertionError({
    message: `response does not match ${path.relative(ROOT, DOC_PATH)}: ${what}\n  ${res.method} ${res.url} -> ${res.status} ${body ?? ''}`,
  });
}

function ajvErrors(validate) {
  return ajv.errorsText(validate.errors, { dataVar: 'body' });
}

function checkHeaders(res, response) {
  for (const [name, ref] of Object.entries(response.headers ?? {})) {
    const header = deref(ref);
    const raw = res.headers.get(name);
    if (raw === null) {
      if (header.required) fail(res, `header ${name} is missing`);
      continue;
    }
    const schema = header.schema ?? {};
    let value = raw;
    if (schema.type === 'integer') {
      if (!/^-?\d+$/.test(raw)) fail(res, `header ${name} is not an integer: ${raw}`);
      value = Number(raw);
    }
    const validate = validatorOf(schema);
    if (!validate(value)) fail(res, `header ${name}: ${ajvErrors(validate).replace(/^body/, name)}`);
  }
}

function checkBody(res, response) {
  const content = response.content;
  if (content === undefined) {
    if (res.text !== '') fail(res, 'the document lists no content for this status, but there is a body');
    return;
  }
  const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const media = content[type];
  if (media === undefined) fail(res, `content type "${type}" is not one of ${Object.keys(content).join(', ')}`);
  if (media.schema === undefined) return;
  if (res.json === undefined) fail(res, 'the body is not JSON');
  const validate = validatorOf(media.schema);
  if (!validate(res.json)) fail(res, ajvErrors(validate));
}

// The response object of the document for this method, template and status,
// or undefined (fail() names why).
function responseFor(res, template, method) {
  const item = doc.paths[template];
  const op = item[method] ?? (method === 'head' ? item.get : undefined);
  const status = String(res.status);
  if (item[method] === undefined) {
    // A method the path does not list: the router answers 405 (or 400 first
    // when an {id} segment is malformed).
    if (res.status === 405) return deref({ $ref: '#/components/responses/MethodNotAllowed' });
    if (res.status === 400 && template.includes('{')) return deref({ $ref: '#/components/responses/BadRequest' });
    if (op === undefined) fail(res, `${method.toUpperCase()} ${template} is not in the document`);
  }
  const response = op.responses[status] ?? op.responses.default;
  if (response === undefined)
    fail(res, `status ${status} is not documented for ${method.toUpperCase()} ${template} (documented: ${Object.keys(op.responses).join(', ')})`);
  return deref(response);
}

// Checks one response of lib.mjs's api() ({method, url, status, headers,
// text, json}) made against the gateway at base. Throws an AssertionError on
// any mismatch.
export function checkResponse(res, base) {
  const url = new URL(res.url);
  const baseUrl = new URL(base);
  if (url.origin !== baseUrl.origin) {
    stats.skipped++; // an admin port: /metrics, /healthz, /readyz of each process
    return;
  }
  const pathname = url.pathname;
  const method = res.method.toLowerCase();
  const template = matchTemplate(pathname);
  let response;
  if (template === undefined) {
    if (res.status === 404) response = deref({ $ref: '#/components/responses/NotFound' });
    // The document's conventions: a path holding a NUL gets BadRequest,
    // whether it names a route, a file or nothing.
    else if (res.status === 400 && /%00/.test(pathname)) response = deref({ $ref: '#/components/responses/BadRequest' });
    else if (!pathname.startsWith('/api')) {
      stats.skipped++; // a static file of the UI
      return;
    } else fail(res, `${pathname} matches no path of the document`);
  } else {
    response = responseFor(res, template, method);
  }
  checkHeaders(res, response);
  if (method === 'head') {
    if (res.text !== '') fail(res, 'a HEAD response has a body');
  } else {
    checkBody(res, response);
  }
  stats.validated++;
}

// How many responses this test process checked, one line per process in
// $RUN_DIR/openapi-checks.log (summed by whoever wants the number).
export function recordStatsAtExit(runDir) {
  process.on('exit', () => {
    try {
      appendFileSync(path.join(runDir, 'openapi-checks.log'),
        `${process.argv[1] ?? ''} validated=${stats.validated} skipped=${stats.skipped}\n`);
    } catch {
      // RUN_DIR not writable: the numbers are only informative.
    }
  });
}
