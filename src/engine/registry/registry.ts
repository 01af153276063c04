// What pull and push share: the stores they write through, the repository a reference names,
// and a small limiter for concurrent transfers (dockerd's max-concurrent-downloads/uploads).
import { join } from 'node:path';
import type { ArchiveDeps } from '../archive.js';
import type { Engine } from '../engine.js';
import { EngineError } from '../errors.js';
import { DEFAULT_DOMAIN, type NamedRef } from '../reference.js';
import type { AuthConfig } from './auth.js';
import { DistributionMetadata } from './metadata.js';
import { Repository } from './repository.js';
import { RegistrySession } from './session.js';

export interface RegistryDeps extends ArchiveDeps {
  metadata: DistributionMetadata;
}

const depsOf = new WeakMap<Engine, RegistryDeps>();

/** The stores an engine's pulls and pushes write through (one metadata store per engine). */
export function registryDeps(engine: Engine): RegistryDeps {
  let d = depsOf.get(engine);
  if (!d) {
    d = {
      content: engine.content,
      layers: engine.layers,
      images: engine.images,
      event: (a, id, attrs) => engine.events.log('image', a, id, attrs),
      metadata: new DistributionMetadata(join(engine.dataDir, 'distribution')),
    };
    depsOf.set(engine, d);
  }
  return d;
}

/** Docker Hub's images are served from its registry host, not from the docker.io name. */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
}

export function openRepository(ref: NamedRef, auth: AuthConfig | undefined, actions: string[]): Repository {
  return new Repository(new RegistrySession(registryHost(ref.domain), auth), ref.path, actions);
}

/** The name FROM scratch uses can never be pulled or pushed. */
export function checkRepoName(ref: NamedRef): void {
  if (ref.domain === DEFAULT_DOMAIN && ref.path === 'library/scratch') throw new EngineError('forbidden', "'scratch' is a reserved name");
}

/** Runs at most `n` tasks at once, in the order they were queued. */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly n: number) {}

  /** True when a task queued now would have to wait (dockerd reports such layers as "Waiting"). */
  get full(): boolean {
    return this.active >= this.n;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
