// Container lifecycle hooks (pkg/kubelet/lifecycle/handlers.go): postStart runs right after the
// container starts and a failure kills it; preStop runs before the stop signal, within the grace
// period. exec runs in the container; httpGet goes to the pod's IP unless a host is given. The
// messages are upstream's, for the FailedPostStartHook / FailedPreStopHook events.
import type { Container as PodContainer, LifecycleHandler } from 'kubernetes-types/core/v1.js';
import { runProbe } from './prober.js';
import type { Runtime } from './runtime.js';

export interface HookResult {
  ok: boolean;
  /** The event's message when it failed. */
  message: string;
}

/** Runs one hook handler against a running container, with at most `timeoutSeconds`. */
export async function runHook(runtime: Runtime, containerId: string, h: LifecycleHandler, c: PodContainer, podIP: string | undefined, podDesc: string, timeoutSeconds: number): Promise<HookResult> {
  const timeout = Math.max(1, Math.ceil(timeoutSeconds));
  if (h.exec) {
    const cmd = h.exec.command ?? [];
    const r = await runtime.execSync(containerId, cmd, timeout).catch((e: unknown) => ({ exitCode: -1, timedOut: false, stdout: Buffer.alloc(0), stderr: Buffer.from(e instanceof Error ? e.message : String(e)) }));
    if (r.exitCode === 0 && !r.timedOut) return { ok: true, message: '' };
    const out = Buffer.concat([r.stdout, r.stderr]).toString();
    const err = r.timedOut ? `command '${cmd.join(' ')}' exited with 137: ` : `command '${cmd.join(' ')}' exited with ${r.exitCode}: ${out}`;
    return { ok: false, message: `Exec lifecycle hook ([${cmd.join(' ')}]) for Container "${c.name}" in Pod "${podDesc}" failed - error: ${err}, message: "${out}"` };
  }
  if (h.httpGet) {
    const o = await runProbe(runtime, containerId, { httpGet: h.httpGet, timeoutSeconds: timeout }, c, podIP);
    if (o.result === 'Success') return { ok: true, message: '' };
    return { ok: false, message: `HTTP lifecycle hook (${h.httpGet.path ?? ''}) for Container "${c.name}" in Pod "${podDesc}" failed - error: ${o.output}` };
  }
  if (h.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(h.sleep!.seconds, timeoutSeconds) * 1000));
    return { ok: true, message: '' };
  }
  return { ok: false, message: `Cannot run handler: invalid handler: ${JSON.stringify(h)}` };
}
