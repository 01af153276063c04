// Debian's registry (package docker-registry, distribution 2.8) on loopback for the registry
// tests: filesystem storage in a temp dir; optionally htpasswd (Basic) or token (Bearer) auth.
// The htpasswd file needs bcrypt: perl's crypt() (perl-base is Essential in Debian) calls
// libcrypt, which makes `$2b$` hashes, so no extra package is needed.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export function registryUnavailable(): string | undefined {
  if (!existsSync(REGISTRY_BIN)) return `${REGISTRY_BIN} not found (Debian package docker-registry; scripts/setup.sh installs it)`;
  return undefined;
}

export function rootUnavailable(): string | undefined {
  return process.getuid?.() === 0 ? undefined : 'needs root (layers are unpacked with their owners)';
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An htpasswd line with a bcrypt hash, through libcrypt (perl's crypt). */
export function htpasswdLine(user: string, password: string): string {
  const salt = [...randomBytes(22)].map((b) => BCRYPT_ALPHABET[b % 64]).join('').slice(0, 21) + '.';
  const hash = execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$05$${salt}`]).toString();
  if (!hash.startsWith('$2b$')) throw new Error(`libcrypt made no bcrypt hash: ${hash}`);
  return `${user}:${hash}`;
}

export interface RegistryOptions {
  htpasswd?: { user: string; password: string };
  token?: { realm: string; service: string; issuer: string; certFile: string };
}

export class RegistryProcess {
  proc: ChildProcess | undefined;
  log = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get storage(): string {
    return join(this.dir, 'data');
  }

  /** Where the registry keeps a blob's bytes (filesystem driver layout). */
  blobPath(digest: string): string {
    const hex = digest.slice(7);
    return join(this.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  }

  static async start(opts: RegistryOptions = {}): Promise<RegistryProcess> {
    const dir = mkdtempSync('/tmp/berth-registry-');
    const port = await freePort();
    const r = new RegistryProcess(dir, port);
    let auth = '';
    if (opts.htpasswd) {
      writeFileSync(join(dir, 'htpasswd'), htpasswdLine(opts.htpasswd.user, opts.htpasswd.password) + '\n');
      auth = `auth:\n  htpasswd:\n    realm: berth-test\n    path: ${join(dir, 'htpasswd')}\n`;
    } else if (opts.token) {
      const t = opts.token;
      auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.certFile}\n`;
    }
    writeFileSync(
      join(dir, 'config.yml'),
      `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${r.storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(16).toString('hex')}\n${auth}`,
    );
    const p = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d: Buffer) => (r.log += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (r.log += d.toString()));
    r.proc = p;
    for (let i = 0; i < 100; i++) {
      try {
        const res = await fetch(`http://${r.host}/v2/`);
        await res.arrayBuffer();
        return r;
      } catch {
        if (p.exitCode !== null) throw new Error(`registry exited: ${r.log}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    throw new Error(`registry did not come up: ${r.log}`);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
    this.proc = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
