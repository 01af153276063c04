// `berth pull REF`, `berth push REF`, `berth login SERVER`: clients of the engine's Docker API
// socket, with per-layer progress bars on a terminal (as the docker CLI draws jsonmessage
// streams) and credentials kept where the docker CLI keeps them ($DOCKER_CONFIG/config.json).
import { request } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { JSONMessage } from '../engine/archive.js';
import { familiarString, parseNormalizedNamed, type NamedRef } from '../engine/reference.js';
import { encodeRegistryAuth, type AuthConfig } from '../engine/registry/auth.js';
import { CommandError, UsageError } from './flags.js';

export const registryUsage = `Usage:
  berth pull [--host unix:///PATH] NAME[:TAG|@DIGEST]
  berth push [--host unix:///PATH] NAME[:TAG]
  berth login [--host unix:///PATH] -u USER --password-stdin [SERVER]

Talks to the engine's Docker API socket (default $DOCKER_HOST, else /run/berth/docker.sock).
Credentials saved by login (or by docker login) are sent with pull and push.
`;

function socketOf(host: string | undefined): string {
  const h = host ?? process.env['DOCKER_HOST'] ?? 'unix:///run/berth/docker.sock';
  if (!h.startsWith('unix://')) throw new UsageError(`unsupported host "${h}": only unix:// sockets`);
  return h.slice('unix://'.length);
}

const configFile = () => join(process.env['DOCKER_CONFIG'] ?? join(homedir(), '.docker'), 'config.json');

function readConfig(): { auths?: Record<string, { auth?: string; identitytoken?: string }> } & Record<string, unknown> {
  const f = configFile();
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as ReturnType<typeof readConfig>) : {};
}

/** The saved credentials for a registry host (Docker Hub's under its legacy index URL). */
function authFor(ref: NamedRef): AuthConfig {
  const key = ref.domain === 'docker.io' ? 'https://index.docker.io/v1/' : ref.domain;
  const entry = readConfig().auths?.[key];
  if (!entry?.auth) return {};
  const plain = Buffer.from(entry.auth, 'base64').toString();
  const i = plain.indexOf(':');
  return { username: plain.slice(0, i), password: plain.slice(i + 1), serveraddress: key };
}

function call(socket: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<import('node:http').IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: { ...headers, ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}) } }, resolve);
    req.on('error', (e) => reject(new CommandError(`cannot reach the engine at unix://${socket}: ${e.message}`)));
    req.end(body);
  });
}

async function text(res: import('node:http').IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of res) s += (c as Buffer).toString();
  return s;
}

/** Renders a JSON message stream: on a terminal each layer keeps its own line, redrawn in place. */
export async function render(res: import('node:http').IncomingMessage, out: NodeJS.WriteStream): Promise<void> {
  const tty = !!out.isTTY;
  const lines = new Map<string, number>();
  let count = 0;
  let buf = '';
  let failure: string | undefined;
  const show = (m: JSONMessage) => {
    if (m.error) {
      failure = m.error;
      return;
    }
    if (m.aux !== undefined || !m.status) return;
    const textOf = `${m.id ? `${m.id}: ` : ''}${m.status}${tty && m.progress ? ` ${m.progress}` : ''}`;
    if (!tty) {
      // a pipe gets each state change once, without the bars
      if (m.progressDetail && (m.progressDetail.current ?? 0) > 0) return;
      out.write(textOf + '\n');
      return;
    }
    if (m.id && lines.has(m.id)) {
      const up = count - lines.get(m.id)!;
      out.write(`\x1b[${up}A\r\x1b[2K${textOf}\x1b[${up}B\r`);
      return;
    }
    if (m.id && m.progressDetail) lines.set(m.id, count);
    out.write(`\x1b[2K${textOf}\n`);
    count++;
  };
  for await (const c of res) {
    buf += (c as Buffer).toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) show(JSON.parse(line) as JSONMessage);
    }
  }
  if (failure) throw new CommandError(failure);
}

function takeHost(args: string[]): { host: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let host: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--host' || a === '-H') host = args[++i];
    else if (a.startsWith('--host=')) host = a.slice(7);
    else rest.push(a);
  }
  return { host, rest };
}

export async function pullCommand(args: string[]): Promise<number> {
  const { host, rest } = takeHost(args);
  if (rest.length !== 1) throw new UsageError('"berth pull" requires exactly 1 argument');
  let ref = parseRef(rest[0]!);
  if (!ref.tag && !ref.digest) {
    process.stdout.write('Using default tag: latest\n');
    ref = { ...ref, tag: 'latest' };
  }
  const q = new URLSearchParams({ fromImage: `${ref.domain}/${ref.path}`, tag: ref.digest ?? ref.tag! });
  const res = await call(socketOf(host), 'POST', `/images/create?${q}`, { 'X-Registry-Auth': encodeRegistryAuth(authFor(ref)) });
  if (res.statusCode !== 200) throw new CommandError(`Error response from daemon: ${messageOf(await text(res))}`);
  await render(res, process.stdout);
  process.stdout.write(`${ref.domain}/${ref.path}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}\n`);
  return 0;
}

export async function pushCommand(args: string[]): Promise<number> {
  const { host, rest } = takeHost(args);
  if (rest.length !== 1) throw new UsageError('"berth push" requires exactly 1 argument');
  const ref = parseRef(rest[0]!);
  const q = ref.tag ? `?tag=${encodeURIComponent(ref.tag)}` : '';
  const name = familiarString({ domain: ref.domain, path: ref.path });
  const res = await call(socketOf(host), 'POST', `/images/${name}/push${q}`, { 'X-Registry-Auth': encodeRegistryAuth(authFor(ref)) });
  if (res.statusCode !== 200) throw new CommandError(`Error response from daemon: ${messageOf(await text(res))}`);
  await render(res, process.stdout);
  return 0;
}

export async function loginCommand(args: string[]): Promise<number> {
  const { host, rest } = takeHost(args);
  let user = '';
  let stdinPassword = false;
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '-u' || a === '--username') user = rest[++i] ?? '';
    else if (a === '--password-stdin') stdinPassword = true;
    else positional.push(a);
  }
  if (!user || !stdinPassword) throw new UsageError('berth login needs -u USER and --password-stdin');
  let password = '';
  for await (const c of process.stdin) password += (c as Buffer).toString();
  password = password.replace(/\r?\n$/, '');
  const server = positional[0] ?? 'https://index.docker.io/v1/';
  const res = await call(socketOf(host), 'POST', '/auth', {}, JSON.stringify({ username: user, password, serveraddress: server }));
  const body = await text(res);
  if (res.statusCode !== 200) throw new CommandError(`Error response from daemon: ${messageOf(body)}`);
  const cfg = readConfig();
  cfg.auths = { ...(cfg.auths ?? {}), [server]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } };
  mkdirSync(join(configFile(), '..'), { recursive: true });
  writeFileSync(configFile(), JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  process.stdout.write('Login Succeeded\n');
  return 0;
}

function parseRef(s: string): NamedRef {
  try {
    return parseNormalizedNamed(s);
  } catch (e) {
    throw new CommandError(e instanceof Error ? e.message : String(e));
  }
}

function messageOf(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body.trim();
  }
}
