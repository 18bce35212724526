// api-docs.js - #/api: the REST API of this server, read from its own
// contract (GET /api/openapi.json, built from docs/openapi.yaml): every path
// and method with its parameters, request body and responses, grouped as the
// document's tags, then every schema with its fields. Nothing is fetched from
// anywhere else, so the page works air-gapped.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { loadError, loading, pageHeader, section } from '../ui.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function refName(ref) {
  return ref.split('/').pop();
}

// Follows local $refs (#/components/...) to the object they name.
function deref(doc, obj) {
  for (let i = 0; obj && typeof obj.$ref === 'string' && i < 10; i += 1)
    obj = obj.$ref.slice(2).split('/').reduce((o, k) => (o ? o[k] : undefined), doc);
  return obj;
}

function schemaLink(name) {
  return h('button', {
    type: 'button', class: 'btn-link schema-ref', dataset: { schema: name },
    on: {
      click: () => {
        const target = document.getElementById(`schema-${name}`);
        if (!target) return;
        target.open = true;
        target.scrollIntoView({ block: 'start' });
        target.querySelector('summary').focus();
      },
    },
  }, name);
}

function joined(parts, sep) {
  return parts.flatMap((p, i) => (i === 0 ? [p] : [sep, p]));
}

// A short description of a schema: a named one by its name (a link to it),
// otherwise its type, constant, enumeration or alternatives.
function typeOf(schema) {
  if (!schema) return 'any';
  if (schema.$ref) return schemaLink(refName(schema.$ref));
  if (schema.const !== undefined) return h('code', null, JSON.stringify(schema.const));
  if (schema.enum) return joined(schema.enum.map((v) => h('code', null, JSON.stringify(v))), ' | ');
  const alternatives = schema.anyOf || schema.oneOf;
  if (alternatives) return joined(alternatives.map(typeOf), ' or ');
  if (schema.type === 'array') return ['array of ', typeOf(schema.items)];
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type || 'object';
  return schema.format ? `${type} (${schema.format})` : type;
}

// A description's text (CommonMark in the document) as paragraphs and
// lists: lines join into paragraphs, "- " lines become list items and
// `code` spans become <code>. Text only, never markup from the document.
function inline(text) {
  return text.split('`').map((part, i) => (i % 2 ? h('code', null, part) : part));
}

function prose(text) {
  if (!text) return null;
  return h('div', { class: 'api-desc' }, text.trim().split(/\n\s*\n/).map((para) => {
    const lines = para.split('\n');
    const items = [];
    const lead = [];
    for (const line of lines) {
      if (/^\s*- /.test(line)) items.push(line.replace(/^\s*- /, ''));
      else if (items.length) items[items.length - 1] += ` ${line.trim()}`;
      else lead.push(line.trim());
    }
    return [
      lead.length ? h('p', null, inline(lead.join(' '))) : null,
      items.length ? h('ul', null, items.map((item) => h('li', null, inline(item)))) : null,
    ];
  }));
}

function table(label, head, rows) {
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': label },
    h('table', { class: 'table api-table' },
      h('thead', null, h('tr', null, head.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows)));
}

function parametersOf(doc, item, op) {
  const params = [...(item.parameters || []), ...(op.parameters || [])].map((p) => deref(doc, p));
  if (params.length === 0) return null;
  return table('Parameters', ['Name', 'In', 'Required', 'Type', 'Description'],
    params.map((p) => h('tr', null,
      h('th', { scope: 'row' }, h('code', null, p.name)),
      h('td', null, p.in),
      h('td', null, p.required ? 'yes' : 'no'),
      h('td', null, typeOf(p.schema)),
      h('td', null, inline(p.description || '')))));
}

function bodyOf(doc, op) {
  const body = deref(doc, op.requestBody);
  if (!body) return null;
  const media = Object.entries(body.content || {});
  return h('p', { class: 'api-body' }, 'Request body', body.required ? ' (required)' : '', ': ',
    joined(media.map(([type, m]) => [h('code', null, type), ' ', typeOf(m.schema)]), '; '));
}

function responsesOf(doc, op) {
  return table('Responses', ['Status', 'Description', 'Headers', 'Body'],
    Object.entries(op.responses).map(([status, ref]) => {
      const r = deref(doc, ref);
      const headers = Object.keys(r.headers || {});
      const media = Object.entries(r.content || {});
      return h('tr', { dataset: { status } },
        h('th', { scope: 'row' }, status),
        h('td', null, inline(r.description || '')),
        h('td', null, joined(headers.map((name) => h('code', null, name)), ', ')),
        h('td', null, media.length ? joined(media.map(([, m]) => typeOf(m.schema)), '; ') : 'none'));
    }));
}

function operationCard(doc, path, method, item, op) {
  return h('article', { class: 'card api-op', dataset: { method, path } },
    h('h3', { class: 'card-title' },
      h('span', { class: ['tag', 'api-method', `api-method-${method}`] }, method.toUpperCase()), ' ',
      h('code', null, path)),
    op.summary ? h('p', { class: 'card-sub' }, op.summary) : null,
    prose(op.description),
    op.security && op.security.length === 0 ? h('p', { class: 'hint' }, 'No authentication needed.') : null,
    parametersOf(doc, item, op),
    bodyOf(doc, op),
    responsesOf(doc, op));
}

function schemaEntry(name, schema) {
  const props = Object.entries(schema.properties || {});
  const required = new Set(schema.required || []);
  const closed = schema.additionalProperties === false;
  return h('details', { class: 'api-schema', id: `schema-${name}`, dataset: { schema: name } },
    h('summary', null, h('code', null, name), schema.description ? [' · ', inline(schema.description.trim())] : ''),
    props.length
      ? [table(`Fields of ${name}`, ['Field', 'Type', 'Required', 'Description'],
        props.map(([field, s]) => h('tr', null,
          h('th', { scope: 'row' }, h('code', null, field)),
          h('td', null, typeOf(s)),
          h('td', null, required.has(field) ? 'yes' : 'no'),
          h('td', null, inline(s.description || ''))))),
      closed ? h('p', { class: 'hint' }, 'No other fields.') : null]
      : h('p', null, typeOf({ ...schema, description: undefined })));
}

export async function apiDocsView(root) {
  const body = h('div');
  replace(root,
    pageHeader('REST API', 'The contract this server keeps: every route, its parameters and its answers.',
      h('a', { class: 'btn btn-secondary', href: '/api/openapi.json' }, 'OpenAPI document (JSON)')),
    body);
  replace(body, loading('Loading the API description…'));
  try {
    const { data: doc } = await api.get('/openapi.json');
    const tags = (doc.tags || []).map((t) => t.name);
    const byTag = new Map(tags.map((t) => [t, []]));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const tag = (op.tags && op.tags[0]) || 'other';
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push(operationCard(doc, path, method, item, op));
      }
    }
    const describe = Object.fromEntries((doc.tags || []).map((t) => [t.name, t.description]));
    replace(body,
      prose(doc.info.description),
      [...byTag].filter(([, cards]) => cards.length).map(([tag, cards]) =>
        section(describe[tag] ? `${tag}: ${describe[tag]}` : tag, h('div', { class: 'api-ops' }, cards))),
      section('Schemas',
        Object.entries(doc.components.schemas).map(([name, schema]) => schemaEntry(name, schema))));
  } catch (err) {
    replace(body, loadError(err, () => apiDocsView(root)));
  }
}
