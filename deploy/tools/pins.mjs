#!/usr/bin/env node
// pins.mjs - the kind path fetches nothing that is not pinned (make
// test-deploy): deploy/kind/pins.env names every third-party image by
// digest and every fetched file with its SHA-256 (or "unrecorded", which
// e2e.sh refuses to run with: reported here as a note), kind by version and
// checksum; deploy/kind/e2e.sh applies no URL and runs no image that is not
// from pins.env; the workflow uses every action by its commit.
//
//   node deploy/tools/pins.mjs [--pins FILE] [--script FILE] [--workflow FILE]
//
// Prints one line per problem (file: what) and exits 1 if there is any.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const HEX64 = /^[0-9a-f]{64}$/;

// KEY=value lines of a shell file that is only assignments and comments.
export function parsePins(text) {
  const pins = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) pins[m[1]] = m[2].replace(/^["']|["']$/g, '');
  }
  return pins;
}

export function pinProblems(pins) {
  const problems = [];
  const notes = [];
  for (const [k, v] of Object.entries(pins)) {
    if (k.endsWith('_IMAGE') && !/^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$/.test(v)) problems.push(`${k}: "${v}" is not pinned by tag and digest (NAME:TAG@sha256:...)`);
    if (k.endsWith('_VERSION') && (!v || /^(latest|main|master|stable)$/i.test(v) || v.includes('$'))) problems.push(`${k}: "${v}" is not a fixed version`);
    if (k.endsWith('_SHA256')) {
      if (v === 'unrecorded') notes.push(`${k}: not recorded yet (deploy/kind/e2e.sh --record-pins on a machine with network)`);
      else if (!HEX64.test(v)) problems.push(`${k}: "${v}" is not a SHA-256`);
    }
  }
  for (const need of ['KIND_VERSION', 'KIND_LINUX_AMD64_SHA256', 'KIND_NODE_IMAGE']) if (!(need in pins)) problems.push(`${need}: missing`);
  for (const k of Object.keys(pins).filter((k) => k.endsWith('_VERSION') && k !== 'KIND_VERSION')) {
    const sum = k.replace(/_VERSION$/, '_MANIFEST_SHA256');
    if (!(sum in pins)) problems.push(`${k}: no ${sum} beside it (a fetched manifest needs its digest)`);
  }
  return { problems, notes };
}

// e2e.sh: no URL applied straight, no image given inline, no :latest.
export function scriptProblems(text) {
  const problems = [];
  text.split('\n').forEach((line, i) => {
    const code = line.replace(/(^|\s)#.*$/, '');
    const at = `line ${i + 1}`;
    if (/kubectl\s+(apply|create)\b.*-f\s+["']?https?:/.test(code)) problems.push(`${at}: applies a URL without checking its digest (fetch_pinned it first)`);
    if (/--image[= ]["']?(?!\$)[^\s"']+/.test(code) && !/@sha256:[0-9a-f]{64}/.test(code)) problems.push(`${at}: an image that is not from pins.env or not pinned by digest`);
    if (/:latest\b/.test(code)) problems.push(`${at}: uses a :latest image`);
  });
  return problems;
}

// A workflow's steps use actions by commit: owner/repo@<40 hex>.
export function workflowProblems(text) {
  const problems = [];
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(?:-\s*)?uses:\s*["']?([^\s"'#]+)/.exec(line);
    if (!m || m[1].startsWith('./') || m[1].startsWith('docker://')) return;
    if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(m[1])) problems.push(`line ${i + 1}: ${m[1]} is not pinned by commit (owner/repo@<40 hex> # vX.Y.Z)`);
  });
  return problems;
}

function main() {
  const { values } = parseArgs({
    options: {
      pins: { type: 'string', default: path.join(ROOT, 'deploy', 'kind', 'pins.env') },
      script: { type: 'string', default: path.join(ROOT, 'deploy', 'kind', 'e2e.sh') },
      workflow: { type: 'string', default: path.join(ROOT, '.github', 'workflows', 'kind-e2e.yml') },
    },
  });
  const { problems, notes } = pinProblems(parsePins(readFileSync(values.pins, 'utf8')));
  const all = [
    ...problems.map((p) => `${values.pins}: ${p}`),
    ...scriptProblems(readFileSync(values.script, 'utf8')).map((p) => `${values.script}: ${p}`),
    ...workflowProblems(readFileSync(values.workflow, 'utf8')).map((p) => `${values.workflow}: ${p}`),
  ];
  for (const n of notes) console.log(`${values.pins}: note: ${n}`);
  for (const p of all) console.error(p);
  console.log(`pins: ${all.length} problem(s) in ${[values.pins, values.script, values.workflow].map((f) => path.relative(ROOT, f)).join(', ')}`);
  return all.length ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main();
