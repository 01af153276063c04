// The tag and digest of a container image reference, as the kubelet's image-name parser reads them
// (docker's normalized reference grammar). imagePullPolicy defaulting depends on the tag alone.

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const name = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const referenceRe = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);
const identifierRe = /^[a-f0-9]{64}$/;
const digestLengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ImageRef {
  tag: string;
  digest: string;
}

/** Tag and digest of an image reference; the tag is "latest" when neither is given. Undefined when
 * the reference does not parse (the caller then treats the tag as empty, like upstream). */
export function parseImageRef(image: string): ImageRef | undefined {
  if (identifierRe.test(image)) return undefined;
  const slash = image.indexOf('/');
  let remainder = image;
  let domain = 'docker.io';
  if (slash >= 0) {
    const first = image.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      remainder = image.slice(slash + 1);
    }
  }
  const colon = remainder.indexOf(':');
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) return undefined;
  if (domain === 'docker.io' && !remainder.includes('/')) remainder = `library/${remainder}`;
  const full = `${domain}/${remainder}`;
  const m = referenceRe.exec(full);
  if (!m || m[1]!.length > 255) return undefined;
  const dig = m[3] ?? '';
  if (dig) {
    const [alg, hex] = dig.split(':') as [string, string];
    const want = digestLengths[alg];
    if (want === undefined || hex.length !== want || !/^[a-f0-9]+$/.test(hex)) return undefined;
  }
  const t = m[2] ?? '';
  return { tag: !t && !dig ? 'latest' : t, digest: dig };
}

/** SetDefaults_Container's rule: Always for a :latest (or untagged, undigested) image, else IfNotPresent. */
export function defaultPullPolicy(image: unknown): 'Always' | 'IfNotPresent' {
  const ref = typeof image === 'string' ? parseImageRef(image) : undefined;
  return ref?.tag === 'latest' ? 'Always' : 'IfNotPresent';
}
