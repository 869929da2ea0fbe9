import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from '../process.js';

/** A throw-away CA and a server certificate it signed, for 127.0.0.1, ::1 and localhost. */
export interface TestCertificates {
  /** PEM of the CA certificate: what a client trusts. */
  readonly caPem: string;
  /** Path of the CA certificate (for `LATCHKEY_KUBE_CA_FILE`, `kubectl --certificate-authority`). */
  readonly caFile: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * Makes a fresh CA (EC P-256, one day) and a server certificate signed by it with SANs
 * `IP:127.0.0.1, IP:::1, DNS:localhost`, using Debian's `openssl` (installed on every machine and in
 * CI; a missing binary is an error, never a skip). Files go to `dir`.
 */
export function makeTestCertificates(dir: string): TestCertificates {
  const openssl = requireBinary('openssl');
  const file = (name: string): string => join(dir, name);
  const run = (args: readonly string[]): void => {
    execFileSync(openssl, [...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  };
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run([
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=latchkey-testkit-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  run([
    'req',
    ...ecKey,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=kube-apiserver',
  ]);
  writeFileSync(
    file('server.ext'),
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes.default.svc',
      '',
    ].join('\n'),
  );
  run([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '1',
    '-extfile',
    file('server.ext'),
  ]);
  return {
    caPem: readFileSync(file('ca.crt'), 'utf8'),
    caFile: file('ca.crt'),
    certPem: readFileSync(file('server.crt'), 'utf8'),
    keyPem: readFileSync(file('server.key'), 'utf8'),
  };
}
