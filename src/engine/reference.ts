// Image references as the distribution project defines them (reference := name [":" tag]
// ["@" digest]), normalized the Docker way: `busybox` is `docker.io/library/busybox:latest`.
import { invalidParameter } from './errors.js';

const alphaNumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]*)';
const nameComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const name = `(?:${domain}/)?${nameComponent}(?:/${nameComponent})*`;

const referenceRe = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);
const tagRe = new RegExp(`^${tag}$`);
const identifierRe = /^[a-f0-9]{64}$/;
const digestRe = new RegExp(`^${digest}$`);

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

/** A named reference: `domain/path[:tag][@digest]`. */
export interface NamedRef {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

export const refName = (r: NamedRef) => `${r.domain}/${r.path}`;

export function refString(r: NamedRef): string {
  return refName(r) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** The name as the docker CLI shows it: `busybox`, `me/app`, `localhost:5000/app`. */
export function familiarName(r: NamedRef): string {
  if (r.domain !== DEFAULT_DOMAIN) return refName(r);
  return r.path.startsWith(OFFICIAL_PREFIX) && r.path.indexOf('/', OFFICIAL_PREFIX.length) < 0
    ? r.path.slice(OFFICIAL_PREFIX.length)
    : r.path;
}

export function familiarString(r: NamedRef): string {
  return familiarName(r) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** Adds the default tag to a bare name (reference.TagNameOnly). */
export function tagNameOnly(r: NamedRef): NamedRef {
  return r.tag || r.digest ? r : { ...r, tag: DEFAULT_TAG };
}

function splitDockerDomain(s: string): { domain: string; remainder: string } {
  const i = s.indexOf('/');
  let d: string;
  let remainder: string;
  if (i === -1 || (!/[.:]/.test(s.slice(0, i)) && s.slice(0, i) !== 'localhost')) {
    d = DEFAULT_DOMAIN;
    remainder = s;
  } else {
    d = s.slice(0, i);
    remainder = s.slice(i + 1);
  }
  if (d === LEGACY_DEFAULT_DOMAIN) d = DEFAULT_DOMAIN;
  if (d === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return { domain: d, remainder };
}

/** reference.Parse on an already-qualified string; throws with distribution's messages. */
function parseQualified(s: string): NamedRef {
  const m = referenceRe.exec(s);
  if (!m) {
    if (s === '') throw invalidParameter('repository name must have at least one component');
    if (referenceRe.test(s.toLowerCase())) throw invalidParameter('invalid reference format: repository name must be lowercase');
    throw invalidParameter('invalid reference format');
  }
  const full = m[1]!;
  if (full.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalidParameter(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const slash = full.indexOf('/');
  const r: NamedRef = { domain: full.slice(0, slash), path: full.slice(slash + 1) };
  if (m[2]) r.tag = m[2];
  if (m[3]) r.digest = m[3];
  return r;
}

/** reference.ParseNormalizedNamed: a familiar or full name, with optional tag and digest. */
export function parseNormalizedNamed(s: string): NamedRef {
  if (identifierRe.test(s)) {
    throw invalidParameter(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain: d, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw invalidParameter('invalid reference format: repository name must be lowercase');
  }
  return parseQualified(`${d}/${remainder}`);
}

export type AnyRef = { kind: 'named'; ref: NamedRef } | { kind: 'digest'; digest: string };

/** reference.ParseAnyReference: a full image ID, a digest, or a name. */
export function parseAnyReference(s: string): AnyRef {
  if (identifierRe.test(s)) return { kind: 'digest', digest: `sha256:${s}` };
  if (digestRe.test(s)) return { kind: 'digest', digest: s };
  return { kind: 'named', ref: parseNormalizedNamed(s) };
}

export function validTag(t: string): boolean {
  return tagRe.test(t);
}

/** A repo name plus a separate tag, as POST /images/{name}/tag and import send them. */
export function withTag(repo: string, t: string): NamedRef {
  const r = parseNormalizedNamed(repo);
  if (t === '') return r;
  if (!validTag(t)) throw invalidParameter('invalid tag format');
  return { domain: r.domain, path: r.path, tag: t };
}

export function isFullIdentifier(s: string): boolean {
  return identifierRe.test(s);
}
