// The kubelet's service-account token manager (upstream pkg/kubelet/token): the tokens of a pod's
// projected serviceAccountToken sources come from the TokenRequest API, bound to the pod, and are
// cached per (account, namespace, audiences, lifetime, pod). A token is fetched again when it is
// older than 80% of its lifetime or than 24 hours (less a jitter of up to 10 s); when the refresh
// fails the old token is kept while it has not expired. The decisions (which tokens a pod needs,
// whether one is due) are pure; the fetch is injected.
import type { Pod, ServiceAccountTokenProjection } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../model/object.js';

const MAX_TTL_MS = 24 * 60 * 60 * 1000;
export const MAX_JITTER_MS = 10_000;

type PodLike = Pick<Pod, 'spec'> & { metadata: { name?: string; namespace?: string; uid?: string } };

/** What the TokenRequest API said about one token. */
export interface CachedToken {
  token: string;
  /** status.expirationTimestamp, in ms. */
  expiresAt: number;
  /** spec.expirationSeconds as granted. */
  expirationSeconds: number;
  podUid: string;
}

/** The TokenRequest the projected volume plugin sends for one source (the pod as the bound object). */
export interface TokenRequestFor {
  key: string;
  namespace: string;
  serviceAccount: string;
  spec: { audiences?: string[]; expirationSeconds: number; boundObjectRef: { apiVersion: 'v1'; kind: 'Pod'; name: string; uid: string } };
}

export function tokenRequestFor(pod: PodLike, src: ServiceAccountTokenProjection): TokenRequestFor {
  const namespace = pod.metadata.namespace ?? '';
  const serviceAccount = pod.spec?.serviceAccountName ?? '';
  const audiences = src.audience ? [src.audience] : undefined;
  const expirationSeconds = src.expirationSeconds ?? 3600;
  const boundObjectRef = { apiVersion: 'v1' as const, kind: 'Pod' as const, name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
  const key = JSON.stringify([serviceAccount, namespace, audiences ?? [], expirationSeconds, boundObjectRef]);
  return { key, namespace, serviceAccount, spec: { ...(audiences ? { audiences } : {}), expirationSeconds, boundObjectRef } };
}

/** Every token source of the pod's projected volumes. */
export function podTokenSources(pod: PodLike): ServiceAccountTokenProjection[] {
  return (pod.spec?.volumes ?? []).flatMap((v) => (v.projected?.sources ?? []).flatMap((s) => (s.serviceAccountToken ? [s.serviceAccountToken] : [])));
}

/** requiresRefresh: past 24 h since issue, or within 20% of the lifetime of expiry (each less the jitter). */
export function requiresRefresh(t: Pick<CachedToken, 'expiresAt' | 'expirationSeconds'>, nowMs: number, jitterMs: number): boolean {
  const lifetimeMs = t.expirationSeconds * 1000;
  const issuedAt = t.expiresAt - lifetimeMs;
  if (nowMs > issuedAt + MAX_TTL_MS - jitterMs) return true;
  return nowMs > t.expiresAt - Math.floor(lifetimeMs / 5) - jitterMs;
}

export type FetchToken = (namespace: string, serviceAccount: string, request: KubeObject) => Promise<KubeObject>;

export class TokenManager {
  private readonly cache = new Map<string, CachedToken>();

  constructor(
    private readonly fetch: FetchToken,
    private readonly now: () => number,
    /** A jitter in [0, MAX_JITTER_MS): the runner draws it, the decision takes it. */
    private readonly jitter: () => number,
    private readonly log: (msg: string) => void = () => undefined,
  ) {}

  /** The cached token of a source (after ensure), or undefined. */
  token(pod: PodLike, src: ServiceAccountTokenProjection): string | undefined {
    return this.cache.get(tokenRequestFor(pod, src).key)?.token;
  }

  /** Whether any of the pod's tokens is missing or due for a refresh. */
  due(pod: PodLike): boolean {
    const now = this.now();
    return podTokenSources(pod).some((src) => {
      const c = this.cache.get(tokenRequestFor(pod, src).key);
      return !c || requiresRefresh(c, now, this.jitter());
    });
  }

  /** GetServiceAccountToken for each source: fetched when missing or due; an unexpired old one survives a failed refresh. */
  async ensure(pod: PodLike, sources: readonly ServiceAccountTokenProjection[]): Promise<void> {
    for (const src of sources) {
      const req = tokenRequestFor(pod, src);
      const cached = this.cache.get(req.key);
      if (cached && !requiresRefresh(cached, this.now(), this.jitter())) continue;
      let tr: KubeObject;
      try {
        tr = await this.fetch(req.namespace, req.serviceAccount, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          metadata: { name: req.serviceAccount, namespace: req.namespace },
          spec: req.spec,
        });
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        if (!cached) throw new Error(`failed to fetch token: ${why}`);
        if (this.now() >= cached.expiresAt) throw new Error(`token ${req.key} expired and refresh failed: ${why}`);
        this.log(`couldn't update token ${req.key}: ${why}`);
        continue;
      }
      const status = tr.status as { token?: string; expirationTimestamp?: string } | undefined;
      const granted = (tr.spec as { expirationSeconds?: number } | undefined)?.expirationSeconds ?? req.spec.expirationSeconds;
      const expiresAt = Date.parse(status?.expirationTimestamp ?? '');
      if (!status?.token || Number.isNaN(expiresAt)) throw new Error('failed to fetch token: the TokenRequest came back without a token');
      this.cache.set(req.key, { token: status.token, expiresAt, expirationSeconds: granted, podUid: req.spec.boundObjectRef.uid });
    }
  }

  /** DeleteServiceAccountToken: the pod is gone, and so are its tokens. */
  forget(podUid: string): void {
    for (const [k, v] of this.cache) if (v.podUid === podUid) this.cache.delete(k);
  }
}
