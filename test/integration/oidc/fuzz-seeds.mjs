// fuzz-seeds.mjs - writes the seed corpus of test/fuzz/fuzz_oidc_token.c:
// key sets (RSA, EC, mixed, with an HMAC key and an encryption key that must
// be skipped) and ID tokens for the target's expectations (issuer
// https://idp.example, client rcycle, nonce fuzz-nonce, now 1700000000),
// one passing and the others each failing one check.
//
//   node test/integration/oidc/fuzz-seeds.mjs test/fuzz/corpus/fuzz_oidc_token
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const out = process.argv[2];
mkdirSync(out, { recursive: true });
const now = 1700000000;
const good = { iss: 'https://idp.example', aud: 'rcycle', sub: 'u1', nonce: 'fuzz-nonce', iat: now - 10, exp: now + 300, email: 'a@b.example', department: 'Lab', groups: ['rcycle-admin'] };
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

const rsa = await generateKeyPair('RS256', { extractable: true });
const ps = await generateKeyPair('PS256', { extractable: true });
const ec = await generateKeyPair('ES256', { extractable: true });
const pub = async (k, kid, alg) => ({ ...(await exportJWK(k.publicKey)), kid, alg, use: 'sig' });
const jwks = { keys: [await pub(rsa, 'r1', 'RS256'), await pub(ps, 'p1', 'PS256'), await pub(ec, 'e1', 'ES256'),
  { kty: 'oct', k: 'c2VjcmV0', kid: 'h1' }, { ...(await exportJWK(rsa.publicKey)), kid: 'enc', use: 'enc' }] };
const one = { keys: [await pub(rsa, undefined, 'RS256')] };
const sign = (claims, key, header) => new SignJWT(claims).setProtectedHeader(header).sign(key);

const cases = {
  rs256_ok: [jwks, await sign(good, rsa.privateKey, { alg: 'RS256', kid: 'r1' })],
  ps256_ok: [jwks, await sign(good, ps.privateKey, { alg: 'PS256', kid: 'p1' })],
  es256_ok: [jwks, await sign(good, ec.privateKey, { alg: 'ES256', kid: 'e1' })],
  no_kid_one_key: [one, await sign(good, rsa.privateKey, { alg: 'RS256' })],
  aud_array_azp: [jwks, await sign({ ...good, aud: ['rcycle', 'other'], azp: 'rcycle' }, rsa.privateKey, { alg: 'RS256', kid: 'r1' })],
  aud_array_no_azp: [jwks, await sign({ ...good, aud: ['rcycle', 'other'] }, rsa.privateKey, { alg: 'RS256', kid: 'r1' })],
  wrong_aud: [jwks, await sign({ ...good, aud: 'x' }, rsa.privateKey, { alg: 'RS256', kid: 'r1' })],
  wrong_iss: [jwks, await sign({ ...good, iss: 'https://evil.example' }, rsa.privateKey, { alg: 'RS256', kid: 'r1' })],
  expired: [jwks, await sign({ ...good, exp: now - 600 }, rsa.privateKey, { alg: 'RS256', kid: 'r1' })],
  future_iat: [jwks, await sign({ ...good, iat: now + 600 }, rsa.privateKey, { alg: 'RS256', kid: 'r1' })],
  wrong_nonce: [jwks, await sign({ ...good, nonce: 'x' }, rsa.privateKey, { alg: 'RS256', kid: 'r1' })],
  unknown_kid: [jwks, await sign(good, rsa.privateKey, { alg: 'RS256', kid: 'zz' })],
  kid_wrong_type: [jwks, await sign(good, rsa.privateKey, { alg: 'RS256', kid: 'e1' })],
  alg_none: [jwks, `${b64({ alg: 'none', kid: 'r1' })}.${b64(good)}.`],
  hs256_public_key: [jwks, (() => {
    const input = `${b64({ alg: 'HS256', kid: 'h1' })}.${b64(good)}`;
    return `${input}.${createHmac('sha256', 'secret').update(input).digest('base64url')}`;
  })()],
  crit: [jwks, `${b64({ alg: 'RS256', kid: 'r1', crit: ['x'], x: 1 })}.${b64(good)}.AAAA`],
  bad_signature: [jwks, `${(await sign(good, rsa.privateKey, { alg: 'RS256', kid: 'r1' })).split('.').slice(0, 2).join('.')}.AAAA`],
};
for (const [name, [set, token]] of Object.entries(cases))
  writeFileSync(join(out, name), `${JSON.stringify(set)}\n~~~\n${token}`);
console.log(`${Object.keys(cases).length} seeds in ${out}`);
