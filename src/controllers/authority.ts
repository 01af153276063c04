// The CSR signer's executor (pkg/controller/certificates/authority): signs what the pure signer
// decided (certificates.ts) with the cluster CA, as upstream's CertificateAuthority.Sign does with
// x509.CreateCertificate: a random 128-bit serial number, the request's subject, public key and
// SANs, the template's validity and usages, BasicConstraints CA:false, the CA's key identifier,
// and the CA's signature. Its answer is the status update that carries the certificate.
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { R } from '../model/api.js';
import { checkSignature, issuerInfo, pemBlocks, pemEncode, signatureAlgorithmFor, signedDer, tbsCertificate, type IssuerInfo } from '../model/x509.js';
import type { Action, EffectExecutor } from './runtime.js';
import { requestOf, type SigningRequest } from './certificates.js';

export interface CertificateAuthority {
  /** PEM of the CA certificate and its private key (the cluster CA: ca.crt and ca.key). */
  cert: string;
  key: string;
}

export interface LoadedAuthority {
  issuer: IssuerInfo;
  key: KeyObject;
  notAfter: number;
}

export function loadAuthority(ca: CertificateAuthority): LoadedAuthority {
  const block = pemBlocks(ca.cert).find((b) => b.type === 'CERTIFICATE');
  if (!block) throw new Error('the CA file holds no CERTIFICATE');
  const issuer = issuerInfo(block.bytes);
  const key = createPrivateKey(ca.key);
  if (!new X509Certificate(Buffer.from(block.bytes)).checkPrivateKey(key)) throw new Error('the CA key does not match the CA certificate');
  return { issuer, key, notAfter: issuer.notAfter };
}

/** A PEM certificate for the request under the template, signed by the CA. */
export function signCertificate(ca: LoadedAuthority, req: SigningRequest): string {
  const cr = requestOf(req.csr);
  checkSignature(cr);
  const serial = randomBytes(16);
  const alg = signatureAlgorithmFor(ca.key);
  const tbs = tbsCertificate(cr, { serial, ...req.template }, ca.issuer, alg.der);
  const signature = new Uint8Array(sign(alg.hash, tbs, ca.key));
  return pemEncode('CERTIFICATE', signedDer(tbs, alg.der, signature));
}

/** The executor the controller manager registers for the signer's effects. */
export function signingExecutor(ca: LoadedAuthority): EffectExecutor {
  return async (request) => {
    const req = request as SigningRequest;
    const pem = signCertificate(ca, req);
    const csr = req.csr as SigningRequest['csr'] & { status?: Record<string, unknown> };
    const next = { ...csr, status: { ...(csr.status ?? {}), certificate: Buffer.from(pem).toString('base64') } };
    const action: Action = { kind: 'update', resource: R.certificatesigningrequests, object: next, subresource: 'status' };
    return [action];
  };
}
