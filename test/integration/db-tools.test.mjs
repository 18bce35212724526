// The database tools (rcycle-migrate, rcycle-admin) on their shared layer:
// a failing migration or seed statement is named by its file and line, a
// connection error never shows the password of DATABASE_URL, and a server
// that never answers fails the connection within the connect timeout
// instead of hanging the tool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { setting } from './lib.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const BUILD = path.resolve(ROOT, setting('BUILD_DIR', 'build'));
const MIGRATE = path.join(BUILD, 'db', 'rcycle-migrate');
const ADMIN = path.join(BUILD, 'db', 'rcycle-admin');
const PASSWORD = 'Sup3r-Secret-Pw';
// The tools' default connect timeout (PGT_CONNECT_TIMEOUT_S), and what the
// test allows on top of it.
const CONNECT_TIMEOUT_MS = 10000;
const SLACK_MS = 5000;

// Runs a tool to its end (or kills it after limitMs); resolves with its
// status, output and how long it ran.
function run(tool, args, env, limitMs = 60000) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(tool, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

// A migrations folder of its own: the real bootstrap.sql and audit_seal.sql
// beside it and the given files per schema.
function migrationsDir(files) {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'rcycle-migrate-'));
  for (const f of ['bootstrap.sql', 'audit_seal.sql']) fs.copyFileSync(path.join(ROOT, 'db', f), path.join(top, f));
  const dir = path.join(top, 'migrations');
  for (const schema of ['users', 'listings', 'claims']) fs.mkdirSync(path.join(dir, schema), { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return { top, dir };
}

const adminUrl = () => ({ DATABASE_URL: setting('RCYCLE_ADMIN_DATABASE_URL', setting('DATABASE_URL')) });

test('a failing migration statement is named by its file and line, and nothing of it is recorded', async () => {
  // The error (division by zero) carries no position, so only the statement
  // count tells which one failed; the ';' in the comment and in the string
  // must not be taken for the end of a statement.
  const { top, dir } = migrationsDir({
    'users/9001_broken.sql': [
      '-- a comment; with a semicolon',
      "SELECT 'a;b';",
      '',
      '/* several',
      '   lines */',
      'SELECT 1 / 0;',
    ].join('\n'),
  });
  try {
    const out = await run(MIGRATE, ['--dir', dir], adminUrl());
    assert.equal(out.status, 1, out.stderr);
    assert.match(out.stderr, /users\/9001_broken\.sql:6: division by zero \(SQLSTATE 22012\)/);
    assert.match(out.stderr, /stopped: 0 migration\(s\) applied before the failure/);
    // A second run fails the same way: the failed file was not recorded.
    const again = await run(MIGRATE, ['--dir', dir], adminUrl());
    assert.match(again.stderr, /users\/9001_broken\.sql:6:/);
  } finally {
    fs.rmSync(top, { recursive: true, force: true });
  }
});

test('a syntax error is named by the line it is on', async () => {
  const { top, dir } = migrationsDir({ 'claims/9001_typo.sql': 'SELECT 1;\n\nSELEC 2;\n' });
  try {
    const out = await run(MIGRATE, ['--dir', dir], adminUrl());
    assert.equal(out.status, 1, out.stderr);
    assert.match(out.stderr, /claims\/9001_typo\.sql:3: syntax error at or near "SELEC"/);
  } finally {
    fs.rmSync(top, { recursive: true, force: true });
  }
});

test('a failing seed statement is named by its file and line, and the seed is rolled back', async () => {
  const { top, dir } = migrationsDir({});
  const seed = path.join(top, 'seed');
  fs.mkdirSync(seed);
  fs.writeFileSync(path.join(seed, '01_ok.sql'), 'SELECT 1;\n');
  fs.writeFileSync(
    path.join(seed, '02_bad.sql'),
    ['SELECT 1;', 'DO $$ BEGIN PERFORM 1; END $$;', '', 'INSERT INTO users.accounts (id)', '  VALUES (NULL);'].join('\n'),
  );
  try {
    const out = await run(MIGRATE, ['--dir', dir, '--seed', seed], adminUrl());
    assert.equal(out.status, 1, out.stderr);
    assert.match(out.stdout, /database is up to date/);
    assert.ok(
      out.stderr.includes(`${path.join(seed, '02_bad.sql')}:4: null value in column "id"`),
      out.stderr,
    );
    assert.match(out.stderr, /seed rolled back: nothing from .* was kept/);
  } finally {
    fs.rmSync(top, { recursive: true, force: true });
  }
});

// A CSV with one good line, so rcycle-admin gets as far as connecting.
function csvFile() {
  const file = path.join(os.tmpdir(), `rcycle-db-tools-${process.pid}-${Date.now()}.csv`);
  fs.writeFileSync(
    file,
    'serial,manufacturer,model,category,cpu,ram,storage,ports,other,has_storage_media\nDBT-1,Dell,R640,Server,,,,,,false\n',
  );
  return file;
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

test('a refused connection is reported by both tools without the password', async () => {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve)); // now nothing listens there
  const env = { DATABASE_URL: `postgresql://bob:${PASSWORD}@127.0.0.1:${port}/rcycle` };
  const csv = csvFile();
  try {
    const [migrate, admin] = await Promise.all([
      run(MIGRATE, ['--dir', path.join(ROOT, 'db', 'migrations')], env),
      run(ADMIN, ['import-hardware', csv], env),
    ]);
    for (const out of [migrate, admin]) {
      assert.equal(out.status, 1, out.stderr);
      assert.match(out.stderr, /cannot connect to the database named by DATABASE_URL: .*refused/);
      assert.ok(!out.stderr.includes(PASSWORD) && !out.stdout.includes(PASSWORD), out.stderr);
    }
  } finally {
    fs.rmSync(csv, { force: true });
  }
});

test('a server that never answers fails both tools within the connect timeout', async () => {
  // The kernel completes the handshake; nothing ever replies to libpq's
  // startup packet. The sockets are held open until the tools give up.
  const sockets = new Set();
  const silent = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  const port = await listen(silent);
  const env = { DATABASE_URL: `postgresql://bob:${PASSWORD}@127.0.0.1:${port}/rcycle` };
  const csv = csvFile();
  try {
    const limit = CONNECT_TIMEOUT_MS + SLACK_MS;
    const [migrate, admin] = await Promise.all([
      run(MIGRATE, ['--dir', path.join(ROOT, 'db', 'migrations')], env, limit),
      run(ADMIN, ['import-hardware', csv], env, limit),
    ]);
    for (const out of [migrate, admin]) {
      assert.equal(out.signal, null, `still waiting after ${limit} ms: ${out.stderr}`);
      assert.equal(out.status, 1, out.stderr);
      assert.match(out.stderr, /timeout expired/);
      assert.ok(!out.stderr.includes(PASSWORD), out.stderr);
    }
  } finally {
    fs.rmSync(csv, { force: true });
    for (const s of sockets) s.destroy();
    silent.close();
  }
});
