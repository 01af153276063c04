// Distribution metadata, as dockerd keeps it (distribution/metadata/v2_metadata_service.go): for
// each layer DiffID, the compressed blob digests it is known under and the repository each came
// from. Pulls record it; pushes use it to find blobs a registry already has and to mount them
// from a sibling repository instead of uploading.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface V2Metadata {
  digest: string;
  /** the full repository name, e.g. 127.0.0.1:5000/x/bb */
  sourceRepository: string;
  mediaType?: string;
  size?: number;
}

interface Doc {
  byDiffID: Record<string, V2Metadata[]>;
  diffIDByDigest: Record<string, string>;
}

/** Keeps the newest entries for a DiffID last, as dockerd's list is ordered. */
const MAX_PER_LAYER = 50;

export class DistributionMetadata {
  private doc: Doc;
  private readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'v2metadata.json');
    this.doc = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as Doc) : { byDiffID: {}, diffIDByDigest: {} };
  }

  private save(): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.doc));
    renameSync(tmp, this.file);
  }

  get(diffID: string): V2Metadata[] {
    return [...(this.doc.byDiffID[diffID] ?? [])];
  }

  diffIDOf(digest: string): string | undefined {
    return this.doc.diffIDByDigest[digest];
  }

  add(diffID: string, m: V2Metadata): void {
    const list = (this.doc.byDiffID[diffID] ?? []).filter((x) => !(x.digest === m.digest && x.sourceRepository === m.sourceRepository));
    list.push(m);
    this.doc.byDiffID[diffID] = list.slice(-MAX_PER_LAYER);
    this.doc.diffIDByDigest[m.digest] = diffID;
    this.save();
  }

  remove(diffID: string, m: V2Metadata): void {
    const list = this.doc.byDiffID[diffID];
    if (!list) return;
    this.doc.byDiffID[diffID] = list.filter((x) => !(x.digest === m.digest && x.sourceRepository === m.sourceRepository));
    this.save();
  }
}
