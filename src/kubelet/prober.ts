// Liveness, readiness and startup probes (pkg/kubelet/prober): one worker per probe of a running
// container, started after initialDelaySeconds and run every periodSeconds with timeoutSeconds;
// a result flips after successThreshold successes or failureThreshold failures in a row. Until a
// startup probe succeeds the other probes wait. Results feed the pure sync decision (sync.ts).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container as PodContainer, Probe } from 'kubernetes-types/core/v1.js';
import type { ProbeResult, ProbeState } from './sync.js';
import type { Runtime } from './runtime.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

interface Worker {
  kind: ProbeKind;
  probe: Probe;
  timer?: NodeJS.Timeout;
  successes: number;
  failures: number;
  stopped: boolean;
}

interface Target {
  containerId: string;
  podUid: string;
  podIP: () => string | undefined;
  container: PodContainer;
  workers: Worker[];
}

/** What one probe run found (prober.go's results plus its output, for the event). */
export interface ProbeOutcome {
  result: ProbeResult;
  output: string;
}

export class Prober {
  private readonly targets = new Map<string, Target>();
  private readonly results = new Map<string, ProbeState>();

  constructor(
    private readonly runtime: Runtime,
    /** A result changed: resync the pod. */
    private readonly onChange: (podUid: string, containerId: string, containerName: string, kind: ProbeKind, outcome: ProbeOutcome) => void,
  ) {}

  state(containerId: string): ProbeState {
    return this.results.get(containerId) ?? {};
  }

  /** Starts the probes of a container that has just started (once per container ID). */
  watch(podUid: string, containerId: string, container: PodContainer, podIP: () => string | undefined): void {
    if (this.targets.has(containerId)) return;
    const workers: Worker[] = [];
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      const probe = container[`${kind}Probe`];
      if (probe) workers.push({ kind, probe, successes: 0, failures: 0, stopped: false });
    }
    if (workers.length === 0) return;
    const t: Target = { containerId, podUid, podIP, container, workers };
    this.targets.set(containerId, t);
    // liveness starts out Success, readiness Failure, startup unknown (results_manager's initial values)
    this.results.set(containerId, { ...(workers.some((w) => w.kind === 'liveness') ? { liveness: 'Success' } : {}) });
    for (const w of workers) this.schedule(t, w, (w.probe.initialDelaySeconds ?? 0) * 1000);
  }

  /** Stops a container's probes (it exited or was removed). */
  forget(containerId: string): void {
    const t = this.targets.get(containerId);
    if (t) for (const w of t.workers) {
      w.stopped = true;
      if (w.timer) clearTimeout(w.timer);
    }
    this.targets.delete(containerId);
    this.results.delete(containerId);
  }

  /** Keeps only these containers' probes. */
  retain(live: Set<string>): void {
    for (const id of [...this.targets.keys()]) if (!live.has(id)) this.forget(id);
  }

  stop(): void {
    for (const id of [...this.targets.keys()]) this.forget(id);
  }

  private schedule(t: Target, w: Worker, delayMs: number): void {
    if (w.stopped) return;
    w.timer = setTimeout(() => void this.tick(t, w), Math.max(0, delayMs));
    w.timer.unref();
  }

  private async tick(t: Target, w: Worker): Promise<void> {
    if (w.stopped) return;
    const period = (w.probe.periodSeconds ?? 10) * 1000;
    const st = this.results.get(t.containerId) ?? {};
    const startupPending = w.kind !== 'startup' && t.workers.some((x) => x.kind === 'startup') && st.startup !== 'Success';
    if (startupPending) return this.schedule(t, w, period);
    const outcome = await runProbe(this.runtime, t.containerId, w.probe, t.container, t.podIP()).catch((e: unknown) => ({ result: 'Failure' as const, output: String(e) }));
    if (w.stopped) return;
    if (outcome.result === 'Success') {
      w.successes++;
      w.failures = 0;
    } else {
      w.failures++;
      w.successes = 0;
    }
    const threshold = outcome.result === 'Success' ? (w.probe.successThreshold ?? 1) : (w.probe.failureThreshold ?? 3);
    const count = outcome.result === 'Success' ? w.successes : w.failures;
    const prev = st[w.kind];
    if (count >= threshold && prev !== outcome.result) {
      this.results.set(t.containerId, { ...st, [w.kind]: outcome.result });
      this.onChange(t.podUid, t.containerId, t.container.name, w.kind, outcome);
    } else if (outcome.result === 'Failure' && w.kind !== 'readiness' && count < threshold) {
      // the warning upstream records on every failed run
      this.onChange(t.podUid, t.containerId, t.container.name, w.kind, { ...outcome, result: 'Failure' });
    }
    // a startup probe is done once it succeeds; a failed liveness or startup probe waits for the restart
    if (w.kind === 'startup' && this.results.get(t.containerId)?.startup === 'Success') return;
    if (w.kind !== 'readiness' && this.results.get(t.containerId)?.[w.kind] === 'Failure') return;
    this.schedule(t, w, period);
  }
}

/** One probe run against a container: exec, httpGet or tcpSocket (grpc is not supported yet). */
export async function runProbe(runtime: Runtime, containerId: string, p: Probe, c: PodContainer, podIP: string | undefined): Promise<ProbeOutcome> {
  const timeoutMs = (p.timeoutSeconds ?? 1) * 1000;
  const port = (v: number | string): number => {
    if (typeof v === 'number') return v;
    if (/^\d+$/.test(v)) return Number(v);
    const named = c.ports?.find((x) => x.name === v);
    if (!named) throw new Error(`couldn't find port: ${v} in ${c.name}`);
    return named.containerPort;
  };
  if (p.exec) {
    const r = await runtime.execSync(containerId, p.exec.command ?? [], p.timeoutSeconds ?? 1);
    if (r.timedOut) return { result: 'Failure', output: `command "${(p.exec.command ?? []).join(' ')}" timed out` };
    const out = Buffer.concat([r.stdout, r.stderr]).toString();
    return r.exitCode === 0 ? { result: 'Success', output: out } : { result: 'Failure', output: out || `command "${(p.exec.command ?? []).join(' ')}" exited with ${r.exitCode}` };
  }
  if (p.httpGet) {
    const g = p.httpGet;
    const host = g.host || podIP;
    if (!host) return { result: 'Failure', output: 'the pod has no IP yet' };
    const scheme = (g.scheme ?? 'HTTP').toUpperCase();
    const path = g.path ? (g.path.startsWith('/') ? g.path : `/${g.path}`) : '/';
    const portN = port(g.port);
    const url = `${scheme.toLowerCase()}://${host}:${portN}${path}`;
    return new Promise((resolve) => {
      const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
      for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
      const req = (scheme === 'HTTPS' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        res.on('end', () => resolve(code >= 200 && code < 400 ? { result: 'Success', output: '' } : { result: 'Failure', output: `HTTP probe failed with statuscode: ${code}` }));
      });
      req.on('timeout', () => {
        req.destroy();
        resolve({ result: 'Failure', output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
      });
      req.on('error', (e) => resolve({ result: 'Failure', output: `Get "${url}": ${e.message}` }));
      req.end();
    });
  }
  if (p.tcpSocket) {
    const host = p.tcpSocket.host || podIP;
    if (!host) return { result: 'Failure', output: 'the pod has no IP yet' };
    const portN = port(p.tcpSocket.port);
    return new Promise((resolve) => {
      const s = connect({ host, port: portN, timeout: timeoutMs });
      s.once('connect', () => {
        s.destroy();
        resolve({ result: 'Success', output: '' });
      });
      s.once('timeout', () => {
        s.destroy();
        resolve({ result: 'Failure', output: `dial tcp ${host}:${portN}: i/o timeout` });
      });
      s.once('error', (e) => resolve({ result: 'Failure', output: `dial tcp ${host}:${portN}: ${e.message}` }));
    });
  }
  return { result: 'Failure', output: 'probe has no handler this kubelet supports' };
}
