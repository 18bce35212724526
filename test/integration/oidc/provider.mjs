// provider.mjs - the OpenID provider of the test suite: the certified
// oidc-provider package, on loopback over HTTPS with a throwaway CA made with
// the openssl CLI, so svc-users' RCYCLE_OIDC_CA_FILE is exercised. Started by
// scripts/test.sh before the test stack (and by hand: see test/e2e/README.md).
//
//   node provider.mjs DIR PORT CONTROL_PORT REDIRECT_URL
//
// Writes DIR/ready.env (the RCYCLE_OIDC_* settings of the stack, and
// RCYCLE_TEST_OIDC_CONTROL) once it listens. The provider is real: the
// browser signs in on its own login page (devInteractions), it issues codes,
// enforces PKCE and single use, and signs ID tokens with its own keys. What
// the tests steer, on a separate plain-HTTP control port on loopback:
//   POST /users {email,name,department,groups}  the accounts and their claims
//   POST /forge {mode}   the next token response's id_token is replaced by a
//                        crafted one (a test-only middleware on the token
//                        endpoint; modes below)
//   POST /rotate         new signing key (new kid); the old one is retired
//   POST /down, /up      stop and resume listening (the IdP unreachable)
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';
import { throwawayCa } from '../tools/throwaway-ca.mjs';

const [dir, portArg, controlArg, redirectUrl] = process.argv.slice(2);
if (!dir || !portArg || !controlArg || !redirectUrl) {
  console.error('usage: provider.mjs DIR PORT CONTROL_PORT REDIRECT_URL');
  process.exit(2);
}
const port = Number(portArg);
const issuer = `https://127.0.0.1:${port}`;
const clientId = 'rcycle';
const clientSecret = randomBytes(24).toString('base64url');
mkdirSync(dir, { recursive: true });

// --- the throwaway CA and the provider's certificate (openssl CLI) ---
throwawayCa(dir, 'idp', 'R-Cycle test CA');
const f = (name) => join(dir, name);

// --- accounts ---
const accounts = new Map();
function setAccount(a) {
  accounts.set(a.email, { ...a });
}
setAccount({ email: 'sso.dana@company.com', name: 'Dana SSO', department: 'IT Operations', groups: ['rcycle-security'] });
setAccount({ email: 'sso.erin@company.com', name: 'Erin SSO', department: 'Finance', groups: [] });

// --- signing keys ---
let keyCount = 0;
async function newKey() {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const kid = `k${++keyCount}-${randomBytes(4).toString('hex')}`;
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const pub = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { jwk, pub, privateKey, publicKey };
}
let signing = await newKey();

// --- crafted tokens: the next token response only ---
let forgeMode = null;
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

async function forge(idToken, mode) {
  const header = decodeProtectedHeader(idToken);
  const claims = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  const resign = async (payload, key = signing.privateKey, kid = header.kid) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
  switch (mode) {
    case 'unknown_key': {
      const rogue = await newKey();
      return resign(claims, rogue.privateKey, rogue.jwk.kid);
    }
    case 'alg_none':
      return `${b64({ alg: 'none', kid: header.kid })}.${b64(claims)}.`;
    case 'hs256_public_key': {
      // The classic confusion: HMAC keyed with the provider's public key.
      const pem = signing.publicKey.export({ type: 'spki', format: 'pem' });
      const input = `${b64({ alg: 'HS256', kid: header.kid })}.${b64(claims)}`;
      return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    }
    case 'wrong_aud':
      return resign({ ...claims, aud: 'someone-else' });
    case 'expired':
      return resign({ ...claims, iat: now - 7200, exp: now - 3600 });
    case 'wrong_nonce':
      return resign({ ...claims, nonce: 'not-the-nonce' });
    case 'bad_signature':
      return `${idToken.slice(0, idToken.lastIndexOf('.'))}.${Buffer.from('forged').toString('base64url')}`;
    default:
      throw new Error(`unknown forge mode ${mode}`);
  }
}

// --- the provider ---
async function makeProvider() {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    }],
    jwks: { keys: [signing.jwk] },
    pkce: { required: () => true, methods: ['S256'] },
    // Claims of the scopes in the ID token, as Keycloak's mappers put them.
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'department', 'groups'],
    },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['rcycle-test-idp-cookie-key'] },
    async findAccount(ctx, sub) {
      if (!accounts.has(sub)) return undefined;
      return {
        accountId: sub,
        async claims() {
          const a = accounts.get(sub);
          const out = { sub, email: a.email, email_verified: true, name: a.name, groups: a.groups };
          if (a.department !== undefined) out.department = a.department;
          return out;
        },
      };
    },
    // A first-party client: no consent page.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  provider.proxy = false;
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.status === 200 && forgeMode && ctx.body?.id_token) {
      const mode = forgeMode;
      forgeMode = null;
      ctx.body = { ...ctx.body, id_token: await forge(ctx.body.id_token, mode) };
    }
  });
  return provider;
}

let provider = await makeProvider();
const tls = { key: readFileSync(f('idp.key')), cert: readFileSync(f('idp.pem')) };
const server = createHttps(tls, (req, res) => provider.callback()(req, res));
const listen = () => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
});
await listen();

// --- control ---
async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body ? JSON.parse(body) : {};
}
const control = createHttp(async (req, res) => {
  try {
    const body = await readJson(req);
    let out = { ok: true };
    if (req.method === 'POST' && req.url === '/users') setAccount(body);
    else if (req.method === 'POST' && req.url === '/forge') forgeMode = body.mode;
    else if (req.method === 'POST' && req.url === '/rotate') {
      signing = await newKey();
      provider = await makeProvider();
      out = { kid: signing.jwk.kid };
    } else if (req.method === 'POST' && req.url === '/down') {
      await new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
    } else if (req.method === 'POST' && req.url === '/up') {
      if (!server.listening) await listen();
    } else if (req.method === 'GET' && req.url === '/kid') out = { kid: signing.jwk.kid };
    else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
  } catch (e) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e?.stack || e));
  }
});
await new Promise((resolve) => control.listen(Number(controlArg), '127.0.0.1', resolve));

const env = {
  RCYCLE_OIDC_ISSUER: issuer,
  RCYCLE_OIDC_CLIENT_ID: clientId,
  RCYCLE_OIDC_CLIENT_SECRET: clientSecret,
  RCYCLE_OIDC_REDIRECT_URL: redirectUrl,
  RCYCLE_OIDC_CA_FILE: f('ca.pem'),
  RCYCLE_TEST_OIDC_CONTROL: `http://127.0.0.1:${controlArg}`,
};
writeFileSync(f('ready.env.tmp'), Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
renameSync(f('ready.env.tmp'), f('ready.env'));
console.log(`oidc-provider listening on ${issuer} (control ${env.RCYCLE_TEST_OIDC_CONTROL})`);
process.on('SIGTERM', () => process.exit(0));
