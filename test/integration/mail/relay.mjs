// relay.mjs - the SMTP relay of the test suite: the smtp-server package on
// loopback, offering STARTTLS with a certificate from a throwaway CA made with
// the openssl CLI (so svc-users' RCYCLE_SMTP_CA_FILE and its STARTTLS upgrade
// are exercised), and mailparser reading every message that arrives. Started
// by scripts/test.sh before the test stack, like the test OpenID provider.
//
//   node relay.mjs DIR PORT CONTROL_PORT PUBLIC_URL
//
// Writes DIR/ready.env (the RCYCLE_SMTP_* settings of the stack, and
// RCYCLE_TEST_SMTP_CONTROL) once it listens. What the tests steer, on a
// separate plain-HTTP control port on loopback:
//   GET  /messages       what arrived: envelope, whether the session was
//                        secure, and the parsed message
//   GET  /attempts       every RCPT TO seen, with its time and the answer
//   GET  /connections    how many SMTP connections were opened
//   POST /mode {mode}    accept | refuse5xx | refuse4xx (RCPT is answered
//                        550 or 451)
//   POST /down, /up      stop and resume listening (the relay unreachable)
//   POST /reset          forget what arrived, accept, listen
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { throwawayCa } from '../tools/throwaway-ca.mjs';

const [dir, portArg, controlArg, publicUrl] = process.argv.slice(2);
if (!dir || !portArg || !controlArg || !publicUrl) {
  console.error('usage: relay.mjs DIR PORT CONTROL_PORT PUBLIC_URL');
  process.exit(2);
}
const port = Number(portArg);
mkdirSync(dir, { recursive: true });

// --- the throwaway CA and the relay's certificate (openssl CLI) ---
const certs = throwawayCa(dir, 'relay', 'R-Cycle test mail CA');
const key = readFileSync(certs.key);
const cert = readFileSync(certs.cert);
const f = (name) => join(dir, name);

// --- what the tests see and steer ---
let mode = 'accept';
let messages = [];
let attempts = [];
let connections = 0;

function refusal(code, text) {
  const err = new Error(text);
  err.responseCode = code;
  return err;
}

function newServer() {
  return new SMTPServer({
    secure: false, // plain at first; STARTTLS is offered with key and cert
    key,
    cert,
    authOptional: true,
    logger: false,
    banner: 'R-Cycle test relay',
    onConnect(session, callback) {
      connections += 1;
      callback();
    },
    onRcptTo(address, session, callback) {
      attempts.push({ at: Date.now(), rcpt: address.address, mode, secure: session.secure });
      if (mode === 'refuse5xx') return callback(refusal(550, 'mailbox unavailable (test relay)'));
      if (mode === 'refuse4xx') return callback(refusal(451, 'try again later (test relay)'));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        try {
          const p = await simpleParser(raw);
          messages.push({
            secure: session.secure,
            envelope: {
              mailFrom: session.envelope.mailFrom && session.envelope.mailFrom.address,
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
            },
            from: p.from && p.from.value.map((v) => v.address),
            to: p.to && p.to.value.map((v) => v.address),
            subject: p.subject,
            messageId: p.messageId,
            date: p.date && p.date.toISOString(),
            contentType: p.headers.get('content-type'),
            text: p.text,
            html: p.html,
            raw: raw.toString('utf8'),
          });
          callback();
        } catch (err) {
          callback(err);
        }
      });
    },
  });
}

let server = null;
function listen() {
  return new Promise((resolve, reject) => {
    if (server) return resolve();
    server = newServer();
    server.on('error', (err) => console.error(`relay: ${err.message}`));
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
}
function stop() {
  return new Promise((resolve) => {
    if (!server) return resolve();
    const s = server;
    server = null;
    // Open sessions go too: down means nobody answers.
    for (const c of s.connections) c._socket.destroy();
    s.server.close(() => resolve());
  });
}

await listen();

// --- the control port ---
function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      try { resolve(body ? JSON.parse(body) : {}); } catch (err) { reject(err); }
    });
  });
}
const control = createHttp(async (req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? {}));
  };
  try {
    if (req.method === 'GET' && req.url === '/messages') return reply(200, messages);
    if (req.method === 'GET' && req.url === '/attempts') return reply(200, attempts);
    if (req.method === 'GET' && req.url === '/connections') return reply(200, { connections });
    if (req.method !== 'POST') return reply(404, { error: 'no such control' });
    if (req.url === '/mode') {
      const { mode: m } = await readJson(req);
      if (!['accept', 'refuse5xx', 'refuse4xx'].includes(m)) return reply(400, { error: 'bad mode' });
      mode = m;
      return reply(200, { mode });
    }
    if (req.url === '/down') { await stop(); return reply(200, { listening: false }); }
    if (req.url === '/up') { await listen(); return reply(200, { listening: true }); }
    if (req.url === '/reset') {
      messages = [];
      attempts = [];
      connections = 0;
      mode = 'accept';
      await listen();
      return reply(200, {});
    }
    return reply(404, { error: 'no such control' });
  } catch (err) {
    return reply(500, { error: err.message });
  }
});
control.listen(Number(controlArg), '127.0.0.1', () => {
  const env = [
    `RCYCLE_SMTP_URL=smtp://127.0.0.1:${port}`,
    'RCYCLE_MAIL_FROM=rcycle@mail.rcycle.test',
    `RCYCLE_SMTP_CA_FILE=${certs.ca}`,
    `RCYCLE_PUBLIC_URL=${publicUrl}`,
    // Short waits and few tries, so that a refusal goes dead within seconds.
    'RCYCLE_SMTP_RETRY_BASE_MS=500',
    'RCYCLE_SMTP_MAX_ATTEMPTS=5',
    `RCYCLE_TEST_SMTP_CONTROL=http://127.0.0.1:${controlArg}`,
  ].join('\n');
  writeFileSync(f('ready.env.tmp'), `${env}\n`);
  renameSync(f('ready.env.tmp'), f('ready.env'));
  console.log(`relay: smtp://127.0.0.1:${port}, control http://127.0.0.1:${controlArg}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
