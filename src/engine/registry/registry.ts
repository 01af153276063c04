// What pull and push share: the stores they write through, the repository a reference names,
// and a small limiter for concurrent transfers (dockerd's max-concurrent-downloads/uploads).
import type { ArchiveDeps } from '../archive.js';
import { EngineError } from '../errors.js';
import { DEFAULT_DOMAIN, type NamedRef } from '../reference.js';
import type { AuthConfig } from './auth.js';
import type { DistributionMetadata } from './metadata.js';
import { Repository } from './repository.js';
import { RegistrySession } from './session.js';

export interface RegistryDeps extends ArchiveDeps {
  metadata: DistributionMetadata;
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
