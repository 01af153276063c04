// Leader election over a Lease (seed 003 §A9, SAFE-LE; client-go's leaderelection): at any
// instant at most one candidate believes it leads. The seed's timing is leaseDuration 15 s,
// renewDeadline 10 s, retryPeriod 2 s. The model below is the algorithm written out as a pure
// step function over virtual real time, with per-candidate clocks (offset and rate) and pauses
// (a process stopped or cut off from the API), so the property can be judged on its runs:
//   tryAcquireOrRenew(id, now): no lease → create, lead; holder = id → renew; otherwise take over
//   only when the record has not changed for leaseDuration on the candidate's own clock (client-go
//   tracks observedTime locally, so clock offsets between machines do not matter; rates do).
//   A leader that has not renewed within renewDeadline of its last renewal stops leading.
export interface LeaseTiming {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** Seed 003's MyWebApp operator lease. */
export const SEED_LEASE: LeaseTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface CandidateSpec {
  id: string;
  /** The candidate's clock reads offsetMs + rate × real time. */
  offsetMs?: number;
  rate?: number;
  /** Real-time intervals [from, to) during which the process is stopped or cannot reach the API. */
  paused?: [number, number][];
}

export interface ElectionOptions {
  candidates: CandidateSpec[];
  timing?: LeaseTiming;
  /** Real time to run for, ms. */
  durationMs: number;
  /**
   * How expiry is judged. 'observed' is client-go's (local observation time + duration);
   * 'renewTime' compares the holder's written renewTime with the local clock — unsafe under skew,
   * here so that the property can be seen to fail.
   */
  expiry?: 'observed' | 'renewTime';
}

interface LeaseRecord {
  holder: string;
  renewTime: number;
  version: number;
}

export interface ElectionStep {
  /** Real time, ms. */
  t: number;
  /** Who believes it leads at t. */
  leaders: string[];
  what: string;
}

/** Runs the election; every attempt is one step of the trace. */
export function runElection(opts: ElectionOptions): ElectionStep[] {
  const timing = opts.timing ?? SEED_LEASE;
  const cs = opts.candidates.map((c, i) => ({
    spec: c,
    local: (t: number) => (c.offsetMs ?? 0) + (c.rate ?? 1) * t,
    // Candidates start staggered by a little so the trace is not one crowded instant.
    next: i * 100,
    observed: undefined as LeaseRecord | undefined,
    observedAt: 0,
    leading: false,
    lastRenew: 0,
  }));
  let lease: LeaseRecord | undefined;
  const paused = (c: (typeof cs)[number], t: number) => (c.spec.paused ?? []).some(([a, b]) => t >= a && t < b);
  const believes = (c: (typeof cs)[number], t: number) => c.leading && c.local(t) - c.lastRenew <= timing.renewDeadlineMs;
  const trace: ElectionStep[] = [];
  for (;;) {
    const c = cs.reduce((a, b) => (b.next < a.next ? b : a));
    const t = c.next;
    if (t > opts.durationMs) break;
    // Real time of this candidate's next attempt: retryPeriod on its own clock.
    c.next = t + timing.retryPeriodMs / (c.spec.rate ?? 1);
    let what: string;
    if (paused(c, t)) what = `${c.spec.id} cannot reach the API`;
    else {
      const now = c.local(t);
      if (!lease) {
        lease = { holder: c.spec.id, renewTime: now, version: 1 };
        what = `${c.spec.id} creates the lease`;
      } else {
        if (!c.observed || c.observed.version !== lease.version) {
          c.observed = { ...lease };
          c.observedAt = now;
        }
        const expired = opts.expiry === 'renewTime' ? lease.renewTime + timing.leaseDurationMs <= now : c.observedAt + timing.leaseDurationMs <= now;
        if (lease.holder !== c.spec.id && lease.holder !== '' && !expired) what = `${c.spec.id} sees ${lease.holder} holding`;
        else {
          what = lease.holder === c.spec.id ? `${c.spec.id} renews` : `${c.spec.id} takes over from ${lease.holder}`;
          lease = { holder: c.spec.id, renewTime: now, version: lease.version + 1 };
          c.observed = { ...lease };
          c.observedAt = now;
        }
      }
      if (lease.holder === c.spec.id && lease.renewTime === now) {
        c.leading = true;
        c.lastRenew = now;
      }
    }
    // A leader past its renew deadline steps down.
    for (const x of cs) if (x.leading && !believes(x, t)) x.leading = false;
    trace.push({ t, leaders: cs.filter((x) => believes(x, t)).map((x) => x.spec.id), what });
    // Beliefs also end between attempts: record the instants just before each deadline.
  }
  return trace;
}

/** SAFE-LE over a trace: never two candidates leading at once. */
export function leaderExclusionViolations(trace: ElectionStep[]): string[] {
  return trace.filter((s) => s.leaders.length > 1).map((s) => `t=${(s.t / 1000).toFixed(3)}s: ${s.leaders.join(' and ')} both lead (${s.what})`);
}

/** Configuration checks the seed states: leaseDuration > renewDeadline > retryPeriod. */
export function leaseTimingViolations(t: LeaseTiming): string[] {
  const out: string[] = [];
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) out.push(`leaseDuration ${t.leaseDurationMs} ms must exceed renewDeadline ${t.renewDeadlineMs} ms`);
  if (!(t.renewDeadlineMs > t.retryPeriodMs)) out.push(`renewDeadline ${t.renewDeadlineMs} ms must exceed retryPeriod ${t.retryPeriodMs} ms`);
  return out;
}
