// Manifests as registries serve them: the four kinds dockerd pulls (Docker schema2 manifest and
// manifest list, OCI manifest and index), told apart by media type, checked for the fields a pull
// needs, and the platform choice among an index's entries.
import { MEDIA, type Descriptor } from '../content.js';
import { invalidParameter } from '../errors.js';

/** The manifest types dockerd asks for, most preferred first (distribution's ManifestMediaTypes order). */
export const MANIFEST_ACCEPT = [
  MEDIA.dockerManifest,
  MEDIA.dockerManifestList,
  MEDIA.ociManifest,
  MEDIA.ociIndex,
] as const;

export const SCHEMA1_TYPES = ['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws'];

/** Layer media types the engine can unpack (compression.DecompressStream handles both). */
const LAYER_TYPES: readonly string[] = [MEDIA.dockerLayerGzip, MEDIA.dockerLayer, MEDIA.ociLayerGzip, MEDIA.ociLayer, 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip'];
const CONFIG_TYPES: readonly string[] = [MEDIA.dockerConfig, MEDIA.ociConfig, 'application/octet-stream'];

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ManifestIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

export type Manifest = ImageManifest | ManifestIndex;

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function descriptor(v: unknown, what: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || typeof d.size !== 'number') throw invalidParameter(`invalid ${what} descriptor in manifest`);
  if (!DIGEST.test(d.digest)) throw invalidParameter(`could not validate layer digest "${d.digest}": invalid checksum digest format`);
  return d as Descriptor;
}

/**
 * Parses manifest bytes. The media type comes from the document, else from the Content-Type the
 * registry sent (as distribution.UnmarshalManifest does).
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): Manifest {
  let doc: { schemaVersion?: number; mediaType?: string; config?: unknown; layers?: unknown; manifests?: unknown };
  try {
    doc = JSON.parse(bytes.toString()) as typeof doc;
  } catch (e) {
    throw invalidParameter(`invalid manifest: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object') throw invalidParameter('unsupported manifest format');
  const ct = (contentType ?? '').split(';')[0]!.trim();
  let mt = doc.mediaType || ct;
  if (!mt || mt === 'application/json') {
    // an OCI document may omit mediaType: tell them apart by their fields
    if (Array.isArray(doc.manifests)) mt = MEDIA.ociIndex;
    else if (doc.config) mt = MEDIA.ociManifest;
    else if (doc.schemaVersion === 1) mt = SCHEMA1_TYPES[1]!;
  }
  if (SCHEMA1_TYPES.includes(mt) || doc.schemaVersion === 1) throw schema1Error();
  if (mt === MEDIA.dockerManifest || mt === MEDIA.ociManifest) {
    if (!Array.isArray(doc.layers)) throw invalidParameter('unsupported manifest format');
    return { kind: 'manifest', mediaType: mt, config: descriptor(doc.config, 'config'), layers: doc.layers.map((l) => descriptor(l, 'layer')) };
  }
  if (mt === MEDIA.dockerManifestList || mt === MEDIA.ociIndex) {
    if (!Array.isArray(doc.manifests)) throw invalidParameter('unsupported manifest format');
    return { kind: 'index', mediaType: mt, manifests: doc.manifests.map((m) => descriptor(m, 'manifest')) };
  }
  throw invalidParameter('unsupported manifest format');
}

export function schema1Error(): Error {
  return invalidParameter(
    'Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of the image to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/',
  );
}

/** Refuses media types the engine cannot store (checkSupportedMediaType / validateMediaType). */
export function checkImageManifest(m: ImageManifest): void {
  if (!CONFIG_TYPES.includes(m.config.mediaType ?? MEDIA.ociConfig)) {
    throw invalidParameter(`Encountered remote "${m.config.mediaType}"(unknown) when fetching`);
  }
  for (const l of m.layers) {
    if (!LAYER_TYPES.includes(l.mediaType)) throw invalidParameter(`unsupported media type ${l.mediaType}`);
  }
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export const HOST_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/**
 * The entries of an index that run here, best first: the platform must match on os and
 * architecture; for amd64 an entry without a variant or with v1 is preferred (the host baseline).
 */
export function matchingManifests(index: ManifestIndex, want: Platform = HOST_PLATFORM): Descriptor[] {
  const hits = index.manifests.filter((d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture && (!want.variant || !d.platform.variant || d.platform.variant === want.variant));
  const rank = (d: Descriptor) => (!d.platform?.variant || d.platform.variant === 'v1' ? 0 : 1);
  return hits.map((d, i) => ({ d, i })).sort((a, b) => rank(a.d) - rank(b.d) || a.i - b.i).map((x) => x.d);
}

export function noMatchError(want: Platform = HOST_PLATFORM): Error {
  return invalidParameter(`no matching manifest for ${want.os}/${want.architecture} in the manifest list entries`);
}
