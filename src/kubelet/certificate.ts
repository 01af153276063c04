// The kubelet's serving certificate through the certificates API (serverTLSBootstrap, after
// client-go's certificate manager): an EC P-256 key and a CertificateSigningRequest for
// kubernetes.io/kubelet-serving (O=system:nodes, CN=system:node:<node>, the node's hostname and
// IPs as SANs, usages digital signature and server auth), waited on until it is issued (or
// denied, or failed: then asked again after a back-off); the certificate and key kept in
// DIR/kubelet-server-<time>.pem with kubelet-server-current.pem pointing at the one in use, reused
// at the next start while valid and still for the node's names; rotated by a new request once
// 70-90% of its validity has passed (the jitter keeps nodes from rotating together).
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { R, type ApiClient } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import { createCertificateRequest, pemBlocks } from '../model/x509.js';

export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
const CURRENT = 'kubelet-server-current.pem';

export interface ServingIdentity {
  nodeName: string;
  dnsNames: string[];
  ipAddresses: string[];
}

export interface KeyPair {
  cert: string;
  key: string;
}

/** jitteryDuration: the rotation deadline, 70% to 90% of the way from notBefore to notAfter (`random` in [0, 1)). */
export function rotationDeadline(notBefore: number, notAfter: number, random: number): number {
  const total = notAfter - notBefore;
  return notBefore + total * (0.7 + 0.2 * random);
}

/** Whether a certificate still says what the kubelet would ask for now (the manager's template check). */
export function satisfiesIdentity(cert: X509Certificate, id: ServingIdentity): boolean {
  if (cert.subject !== `O=system:nodes\nCN=system:node:${id.nodeName}`) return false;
  const sans = (cert.subjectAltName ?? '').split(', ').filter(Boolean);
  const dns = sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  const ips = sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11).toLowerCase());
  const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  return same(dns, id.dnsNames) && same(ips, id.ipAddresses.map((i) => i.toLowerCase()));
}

/** The pair in a kubelet-server PEM file (certificate blocks, then the key). */
export function readPair(text: string): KeyPair | undefined {
  const blocks = pemBlocks(text);
  const certs = blocks.filter((b) => b.type === 'CERTIFICATE');
  const key = blocks.find((b) => b.type.endsWith('PRIVATE KEY'));
  if (!certs.length || !key) return undefined;
  const pem = (t: string, b: Uint8Array) => `-----BEGIN ${t}-----\n${Buffer.from(b).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${t}-----\n`;
  return { cert: certs.map((c) => pem('CERTIFICATE', c.bytes)).join(''), key: pem(key.type, key.bytes) };
}

export interface ServingCertificateOptions {
  client: ApiClient;
  identity: ServingIdentity;
  /** Where the key pairs are kept (upstream: /var/lib/kubelet/pki). */
  dir: string;
  /** A certificate is ready: the first one, and each rotation. */
  onCertificate(pair: KeyPair): void;
  log(msg: string): void;
  now?: () => number;
  random?: () => number;
  /** How often to look at a pending request (doubling up to maxPollMs while it stays pending). */
  pollMs?: number;
  maxPollMs?: number;
  /** --cluster-signing-duration caps what is issued; this is only what is asked for (none: the signer's default). */
  expirationSeconds?: number;
}

/** Keeps the kubelet's serving certificate: from disk when it is still good, else through a CSR; rotates it. */
export class ServingCertificateManager {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private current: { pair: KeyPair; cert: X509Certificate } | undefined;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: ServingCertificateOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** Runs until stop(): loads or requests a certificate, then rotates it before it expires. */
  start(): void {
    mkdirSync(this.opts.dir, { recursive: true, mode: 0o700 });
    this.current = this.fromDisk();
    if (this.current) {
      this.opts.log(`serving certificate from ${join(this.opts.dir, CURRENT)}, valid until ${this.current.cert.validTo}`);
      this.opts.onCertificate(this.current.pair);
    }
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  private fromDisk(): { pair: KeyPair; cert: X509Certificate } | undefined {
    const file = join(this.opts.dir, CURRENT);
    if (!existsSync(file)) return undefined;
    try {
      const pair = readPair(readFileSync(file, 'utf8'));
      if (!pair) return undefined;
      const cert = new X509Certificate(pair.cert);
      if (!cert.checkPrivateKey(createPrivateKey(pair.key))) return undefined;
      if (Date.parse(cert.validTo) <= this.now() || !satisfiesIdentity(cert, this.opts.identity)) return undefined;
      return { pair, cert };
    } catch {
      return undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      // setTimeout holds at most 2^31-1 ms; a longer wait is several
      this.timer = setTimeout(resolve, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
      this.timer.unref();
    });
  }

  private async loop(): Promise<void> {
    let backoff = 1000;
    while (!this.stopped) {
      if (this.current) {
        const deadline = rotationDeadline(Date.parse(this.current.cert.validFrom), Date.parse(this.current.cert.validTo), this.random());
        while (!this.stopped && this.now() < deadline) await this.sleep(deadline - this.now());
        if (this.stopped) return;
        this.opts.log(`rotating the serving certificate (valid until ${this.current.cert.validTo})`);
      }
      try {
        const pair = await this.request();
        if (!pair) return;
        const cert = new X509Certificate(pair.cert);
        this.save(pair);
        this.current = { pair, cert };
        backoff = 1000;
        this.opts.log(`serving certificate issued, valid until ${cert.validTo}`);
        this.opts.onCertificate(pair);
      } catch (e) {
        if (this.stopped) return;
        this.opts.log(`serving certificate: ${e instanceof Error ? e.message : String(e)}; asking again in ${Math.round(backoff / 1000)}s`);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, 5 * 60_000);
      }
    }
  }

  /** One CSR through to its certificate; undefined when stopped meanwhile. */
  private async request(): Promise<KeyPair | undefined> {
    const { identity } = this.opts;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = createCertificateRequest(privateKey, { organization: ['system:nodes'], commonName: `system:node:${identity.nodeName}` }, { dnsNames: identity.dnsNames, ipAddresses: identity.ipAddresses });
    const created = await this.opts.client.create(R.certificatesigningrequests, undefined, {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'csr-' },
      spec: {
        request: Buffer.from(pem).toString('base64'),
        signerName: KUBELET_SERVING_SIGNER,
        // an ECDSA key: no key encipherment (upstream asks for it only with RSA keys)
        usages: ['digital signature', 'server auth'],
        ...(this.opts.expirationSeconds ? { expirationSeconds: this.opts.expirationSeconds } : {}),
      },
    } as KubeObject);
    const name = created.metadata.name!;
    this.opts.log(`requested a serving certificate: CertificateSigningRequest ${name} (signer ${KUBELET_SERVING_SIGNER}); waiting for it to be approved and issued`);
    const started = this.now();
    let poll = this.opts.pollMs ?? 500;
    let lastLog = started;
    for (;;) {
      if (this.stopped) return undefined;
      const csr = (await this.opts.client.get(R.certificatesigningrequests, undefined, name)) as KubeObject & {
        status?: { certificate?: string; conditions?: { type: string; reason?: string; message?: string }[] };
      };
      const conds = csr.status?.conditions ?? [];
      const final = conds.find((c) => c.type === 'Denied' || c.type === 'Failed');
      if (final) throw new Error(`certificate signing request ${name} is ${final.type === 'Denied' ? 'denied' : 'failed'}, reason: ${final.reason ?? ''}, message: ${final.message ?? ''}`);
      if (csr.status?.certificate) {
        const certPem = Buffer.from(csr.status.certificate, 'base64').toString();
        const cert = new X509Certificate(certPem);
        if (!cert.checkPrivateKey(privateKey)) throw new Error(`the certificate issued for ${name} is not for the key the kubelet asked with`);
        return { cert: certPem, key: privateKey.export({ format: 'pem', type: 'sec1' }).toString() };
      }
      if (this.now() - lastLog >= 30_000) {
        lastLog = this.now();
        const state = conds.some((c) => c.type === 'Approved') ? 'approved, waiting for the signer' : 'pending approval (kubectl certificate approve ' + name + ')';
        this.opts.log(`still waiting for CertificateSigningRequest ${name}: ${state}, ${Math.round((lastLog - started) / 1000)}s so far`);
      }
      await this.sleep(poll);
      poll = Math.min(poll * 2, this.opts.maxPollMs ?? 10_000);
    }
  }

  /** kubelet-server-<time>.pem, then kubelet-server-current.pem pointed at it (replaced atomically). */
  private save(pair: KeyPair): void {
    const stamp = new Date(this.now()).toISOString().replace(/[:T]/g, '-').replace(/\..*$/, '');
    const name = `kubelet-server-${stamp}.pem`;
    writeFileSync(join(this.opts.dir, name), pair.cert + pair.key, { mode: 0o600 });
    const tmp = join(this.opts.dir, `.${CURRENT}.tmp`);
    try {
      unlinkSync(tmp);
    } catch {
      // not there: the usual case
    }
    symlinkSync(name, tmp);
    renameSync(tmp, join(this.opts.dir, CURRENT));
  }
}
