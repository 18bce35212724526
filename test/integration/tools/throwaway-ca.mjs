// throwaway-ca.mjs - a CA of two days and a server certificate it signs for
// 127.0.0.1, made with the openssl CLI, for the suite's servers beside the
// stack (oidc/provider.mjs, mail/relay.mjs), so that the services' own CA
// settings (RCYCLE_OIDC_CA_FILE, RCYCLE_SMTP_CA_FILE) are exercised.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(...args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

// Writes DIR/ca.pem (and its key) and DIR/NAME.pem and DIR/NAME.key; the
// paths of the three that matter.
export function throwawayCa(dir, name, caName) {
  const f = (file) => join(dir, file);
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-days', '2', '-subj', `/CN=${caName}`, '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`),
    '-subj', '/CN=127.0.0.1');
  writeFileSync(f(`${name}.ext`), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
    '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', '-extfile', f(`${name}.ext`));
  return { ca: f('ca.pem'), cert: f(`${name}.pem`), key: f(`${name}.key`) };
}
