// docker exec: extra processes in a running container through `runc exec`, with or without a TTY,
// as dockerd's exec store models them (create, start, inspect, resize; daemon/exec.go).
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Container, ContainerService } from './containers.js';
import { conflict, invalidParameter, notFound, messageOf } from './errors.js';
import type { EventBus } from './events.js';
import { isRunning } from './lifecycle.js';
import { resizeTty } from './runtime.js';
import { capabilities, execProcessSpec, processEnv } from './spec.js';

export interface ExecCreateRequest {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
  ConsoleSize?: [number, number] | null;
}

export interface ExecInstance {
  ID: string;
  containerID: string;
  config: ExecCreateRequest;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  /** 'data' ({stream, data}), 'end' */
  output: EventEmitter;
  child?: ChildProcess;
  done: Promise<void>;
  resolveDone: () => void;
}

export class ExecService {
  private readonly execs = new Map<string, ExecInstance>();

  constructor(
    private readonly containers: ContainerService,
    private readonly events: EventBus,
  ) {}

  get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  /** getActiveContainer; a paused container is named as the client named it. */
  private checkRunning(c: Container, asNamed = c.id): void {
    const st = c.rec.State.status;
    if (!isRunning(c.rec.State)) throw conflict(`Container ${c.id} is not running`);
    if (st === 'paused') throw conflict(`Container ${asNamed} is paused, unpause the container before exec`);
    if (st === 'restarting') throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
  }

  create(containerName: string, req: ExecCreateRequest): string {
    const c = this.containers.get(containerName);
    this.checkRunning(c, containerName);
    if (!req.Cmd || req.Cmd.length === 0) throw invalidParameter('No exec command specified');
    const id = randomBytes(32).toString('hex');
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const e: ExecInstance = { ID: id, containerID: c.id, config: req, running: false, started: false, exitCode: null, pid: 0, output: new EventEmitter(), done, resolveDone };
    this.execs.set(id, e);
    this.events.log('container', `exec_create: ${req.Cmd.join(' ')}`, c.id, { ...(c.rec.Config.Labels ?? {}), execID: id, image: c.rec.Config.Image ?? '', name: c.rec.Name.slice(1) });
    c.ev.once('removed', () => this.execs.delete(id));
    return id;
  }

  /** Starts the process; its output arrives on `output`, and `write`/`closeStdin` feed it. */
  start(id: string, opts: { detach: boolean }): ExecInstance {
    const e = this.get(id);
    if (e.started) throw conflict(`Error: Exec command ${id} is already running`);
    const c = this.containers.get(e.containerID);
    this.checkRunning(c);
    e.started = true;
    e.running = true;
    const tty = !!e.config.Tty;
    const user = this.containers.userOf(c, e.config.User || c.rec.Config.User || '');
    const caps = capabilities(c.rec.HostConfig.CapAdd ?? [], c.rec.HostConfig.CapDrop ?? [], !!(e.config.Privileged || c.rec.HostConfig.Privileged));
    const env = processEnv([...(c.rec.Config.Env ?? []), ...(e.config.Env ?? [])], c.rec.Config.Hostname ?? '', tty);
    const spec = execProcessSpec({ args: e.config.Cmd!, env, cwd: e.config.WorkingDir || c.rec.Config.WorkingDir || '/', user, tty, caps });
    const specFile = join(c.runDir, `exec-${id}.json`);
    const pidFile = join(c.runDir, `exec-${id}.pid`);
    writeFileSync(specFile, JSON.stringify(spec));
    const child = this.containers.runc.exec(c.id, specFile, pidFile, tty, false);
    e.child = child;
    this.events.log('container', `exec_start: ${e.config.Cmd!.join(' ')}`, c.id, { ...(c.rec.Config.Labels ?? {}), execID: id, image: c.rec.Config.Image ?? '', name: c.rec.Name.slice(1) });
    const attach = !opts.detach;
    let stderrBuf = '';
    child.stdout?.on('data', (d: Buffer) => attach && (e.config.AttachStdout || tty) && e.output.emit('data', { stream: 'stdout', data: d }));
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      // runc's own complaint before the process exists is not the process's output
      if (!e.pid && runcFailure(stderrBuf + text) !== undefined) {
        stderrBuf += text;
        return;
      }
      if (attach && e.config.AttachStderr) e.output.emit('data', { stream: 'stderr', data: d });
    });
    child.stdin?.on('error', () => {});
    if (!e.config.AttachStdin || !attach) child.stdin?.end();
    const pidPoll = setInterval(() => {
      if (!e.pid && existsSync(pidFile)) {
        e.pid = Number(readFileSync(pidFile, 'utf8').trim()) || 0;
        if (e.pid) {
          clearInterval(pidPoll);
          e.output.emit('pid', e.pid);
        }
      }
    }, 5);
    child.on('close', (code) => {
      clearInterval(pidPoll);
      e.running = false;
      e.exitCode = code ?? 137;
      const failed = runcFailure(stderrBuf);
      if (!e.pid && failed) {
        // the process never started: dockerd writes the runtime's error into the stream, exit 126
        e.exitCode = 126;
        if (attach) e.output.emit('data', { stream: 'stdout', data: Buffer.from(`OCI runtime exec failed: ${failed}: unknown\r\n`) });
      }
      rmSync(specFile, { force: true });
      rmSync(pidFile, { force: true });
      this.events.log('container', 'exec_die', c.id, { ...(c.rec.Config.Labels ?? {}), execID: id, exitCode: String(e.exitCode), image: c.rec.Config.Image ?? '', name: c.rec.Name.slice(1) });
      e.output.emit('end');
      e.resolveDone();
    });
    child.on('error', (err) => {
      e.output.emit('data', { stream: 'stderr', data: Buffer.from(messageOf(err)) });
    });
    return e;
  }

  write(id: string, data: Buffer): void {
    const e = this.execs.get(id);
    if (e?.child?.stdin && !e.child.stdin.destroyed) e.child.stdin.write(data);
  }

  closeStdin(id: string): void {
    const e = this.execs.get(id);
    if (e?.child?.stdin && !e.config.Tty) e.child.stdin.end();
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const e = this.get(id);
    if (!e.config.Tty) return;
    if (!e.pid) await new Promise<void>((r) => {
      const t = setTimeout(r, 2000);
      e.output.once('pid', () => {
        clearTimeout(t);
        r();
      });
    });
    if (e.pid) await resizeTty(e.pid, height, width);
  }

  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    const cmd = e.config.Cmd ?? [];
    return {
      ID: e.ID,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: !!e.config.Tty, entrypoint: cmd[0] ?? '', arguments: cmd.slice(1), privileged: !!e.config.Privileged, ...(e.config.User ? { user: e.config.User } : {}) },
      OpenStdin: !!e.config.AttachStdin,
      OpenStderr: !!e.config.AttachStderr,
      OpenStdout: !!e.config.AttachStdout,
      CanRemove: false,
      ContainerID: e.containerID,
      DetachKeys: e.config.DetachKeys ?? '',
      Pid: e.pid,
    };
  }

  idsFor(containerID: string): string[] {
    return [...this.execs.values()].filter((e) => e.containerID === containerID && e.running).map((e) => e.ID);
  }
}

/** runc's own error line (logrus text or JSON on stderr), without its "runc exec failed: " prefix. */
function runcFailure(stderr: string): string | undefined {
  const text = /level=error msg="((?:[^"\\]|\\.)*)"/.exec(stderr);
  const msg = text ? text[1]!.replace(/\\(.)/g, '$1') : /"level":"error","msg":"((?:[^"\\]|\\.)*)"/.exec(stderr)?.[1]?.replace(/\\(.)/g, '$1');
  return msg?.replace(/^runc exec failed: /, '');
}
