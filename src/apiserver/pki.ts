// The cluster's PKI, made once per data directory with the system's openssl: a CA, the API
// server's serving certificate, an admin client certificate (O=system:masters), the key pair that
// signs service-account tokens (kubeadm's sa.key and sa.pub, RSA), and a kubeconfig.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';

export interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  /** The API server's client certificate towards kubelets (kubeadm's apiserver-kubelet-client). */
  kubeletClientCert: string;
  kubeletClientKey: string;
  /** The service-account token signing key (sa.key) and its public half (sa.pub). */
  saKey: string;
  saPub: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function ecKey(dir: string, name: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name], dir);
  chmodSync(join(dir, name), 0o600);
}

/** Signs a certificate for `subject` with the CA, with the given X.509 extensions. */
function sign(dir: string, name: string, subject: string, extensions: string[]): void {
  ecKey(dir, `${name}.key`);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-sha256', '-out', `${name}.crt`, '-extfile', `${name}.ext`],
    dir,
  );
}

/** The addresses this machine answers on, for the serving certificate's SANs. */
export function localAddresses(): string[] {
  const out = new Set(['127.0.0.1']);
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4') out.add(a.address);
  }
  return [...out];
}

/** Loads the PKI under dataDir/pki, creating what is missing. */
export function ensurePki(dataDir: string, serviceIP: string): Pki {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(join(dir, 'ca.crt'))) {
    ecKey(dir, 'ca.key');
    openssl(
      ['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=berth-ca', '-days', '3650', '-sha256', '-out', 'ca.crt',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'],
      dir,
    );
  }
  if (!existsSync(join(dir, 'apiserver.crt'))) {
    const dns = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', hostname()];
    const ips = [...localAddresses(), '::1', serviceIP];
    const san = [...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',');
    sign(dir, 'apiserver', '/CN=kube-apiserver', [
      `subjectAltName=${san}`,
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
    ]);
  }
  if (!existsSync(join(dir, 'admin.crt'))) {
    sign(dir, 'admin', '/O=system:masters/CN=kubernetes-admin', ['keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth']);
  }
  if (!existsSync(join(dir, 'apiserver-kubelet-client.crt'))) {
    sign(dir, 'apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', ['keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth']);
  }
  if (!existsSync(join(dir, 'sa.key')) || !existsSync(join(dir, 'sa.pub'))) {
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
    chmodSync(join(dir, 'sa.key'), 0o600);
    openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  }
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    saKey: read('sa.key'),
    saPub: read('sa.pub'),
    kubeletClientCert: read('apiserver-kubelet-client.crt'),
    kubeletClientKey: read('apiserver-kubelet-client.key'),
    caCert: read('ca.crt'),
    serverCert: read('apiserver.crt'),
    serverKey: read('apiserver.key'),
    adminCert: read('admin.crt'),
    adminKey: read('admin.key'),
  };
}

/**
 * A kubelet's serving certificate for its node's names and addresses, signed by the cluster CA of
 * the PKI under pkiDir (made once; remade when the names change). Undefined without the CA's key.
 */
export function kubeletServingCert(pkiDir: string, nodeName: string, ips: string[]): { cert: string; key: string } | undefined {
  if (!existsSync(join(pkiDir, 'ca.key'))) return undefined;
  const name = `kubelet-${nodeName.replace(/[^a-zA-Z0-9.-]/g, '_')}`;
  const san = `subjectAltName=${[`DNS:${nodeName}`, 'DNS:localhost', ...[...new Set(['127.0.0.1', ...ips])].map((i) => `IP:${i}`)].join(',')}`;
  const extFile = join(pkiDir, `${name}.ext`);
  if (!existsSync(join(pkiDir, `${name}.crt`)) || !existsSync(extFile) || !readFileSync(extFile, 'utf8').includes(`${san}\n`)) {
    sign(pkiDir, name, `/O=system:nodes/CN=system:node:${nodeName}`, [san, 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth']);
  }
  return { cert: readFileSync(join(pkiDir, `${name}.crt`), 'utf8'), key: readFileSync(join(pkiDir, `${name}.key`), 'utf8') };
}

/** A kubeconfig for the admin, with the certificates embedded, as kubeadm and k3s write it. */
export function adminKubeconfig(pki: Pki, server: string, clusterName = 'berth'): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [{ name: `${clusterName}-admin`, user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) } }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: `${clusterName}-admin` } }],
    'current-context': clusterName,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}
