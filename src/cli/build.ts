// `berth build [-t name] [-f file] [--build-arg k=v] [--no-cache] [--target s] [--explain] DIR`:
// sends DIR (less what .dockerignore excludes) to the engine's POST /build, as the docker CLI's
// classic builder does, and prints the progress; --explain adds each step's cache hit or miss and
// why. Errors point at the Dockerfile line.
import { request } from 'node:http';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { PatternMatcher, readDockerignore } from '../engine/build/dockerignore.js';

const usage = `Usage: berth build [OPTIONS] DIR

Builds an image from a Dockerfile with the engine's builder (berth engine must be running).

Options:
  -t, --tag NAME          name (and tag) for the image; may be repeated
  -f, --file PATH         the Dockerfile (default DIR/Dockerfile)
      --build-arg K=V     a build argument; may be repeated (K alone takes $K)
      --label K=V         a label for the image; may be repeated
      --no-cache          do not use the build cache
      --target STAGE      build up to this stage
      --platform P        only linux/amd64
      --explain           print, for each step, cache hit or miss and why
  -q, --quiet             print only the image ID
  -H, --host SOCKET       the engine socket (default $DOCKER_HOST or /run/berth/docker.sock)
`;

interface Args {
  dir: string;
  tags: string[];
  file?: string;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  noCache: boolean;
  target: string;
  platform: string;
  explain: boolean;
  quiet: boolean;
  socket: string;
}

class ArgError extends Error {}

function parseArgs(argv: string[]): Args | 'help' {
  const a: Args = { dir: '', tags: [], buildArgs: {}, labels: {}, noCache: false, target: '', platform: '', explain: false, quiet: false, socket: '' };
  const host = process.env['DOCKER_HOST'];
  a.socket = host?.startsWith('unix://') ? host.slice(7) : '/run/berth/docker.sock';
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const value = () => {
      const v = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new ArgError(`flag needs an argument: ${flag}`);
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '-t':
      case '--tag':
        a.tags.push(value());
        break;
      case '-f':
      case '--file':
        a.file = value();
        break;
      case '--build-arg': {
        const v = value();
        const k = v.includes('=') ? v.slice(0, v.indexOf('=')) : v;
        a.buildArgs[k] = v.includes('=') ? v.slice(v.indexOf('=') + 1) : process.env[k] ?? null;
        break;
      }
      case '--label': {
        const v = value();
        a.labels[v.includes('=') ? v.slice(0, v.indexOf('=')) : v] = v.includes('=') ? v.slice(v.indexOf('=') + 1) : '';
        break;
      }
      case '--no-cache':
        a.noCache = true;
        break;
      case '--target':
        a.target = value();
        break;
      case '--platform':
        a.platform = value();
        break;
      case '--explain':
        a.explain = true;
        break;
      case '-q':
      case '--quiet':
        a.quiet = true;
        break;
      case '-H':
      case '--host': {
        const v = value();
        a.socket = v.startsWith('unix://') ? v.slice(7) : v;
        break;
      }
      default:
        if (raw.startsWith('-') && raw !== '-') throw new ArgError(`unknown flag: ${raw}`);
        if (a.dir) throw new ArgError('"berth build" requires exactly 1 argument');
        a.dir = raw;
    }
  }
  if (!a.dir) throw new ArgError('"berth build" requires exactly 1 argument');
  return a;
}

/** The context as a tar: everything under dir but what .dockerignore excludes (the Dockerfile and .dockerignore always go). */
async function contextTar(dir: string, dockerfile: string, extra?: { name: string; data: Buffer }): Promise<tar.Pack> {
  const ignore = existsSync(join(dir, '.dockerignore')) ? new PatternMatcher(readDockerignore(readFileSync(join(dir, '.dockerignore'), 'utf8'))) : undefined;
  const keep = new Set(['.dockerignore', dockerfile]);
  const pack = tar.pack();
  const walk = async (abs: string, rel: string): Promise<void> => {
    for (const name of readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(abs, name);
      const st = lstatSync(p);
      const excluded = ignore?.matches(r) && !keep.has(r);
      // an excluded directory may still hold files an exception brings back
      if (excluded && !(st.isDirectory() && ignore!.exclusions)) continue;
      const h = { name: r, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      if (st.isDirectory()) {
        if (!excluded) pack.entry({ ...h, type: 'directory' });
        await walk(p, r);
      } else if (st.isSymbolicLink()) pack.entry({ ...h, type: 'symlink', linkname: readlinkSync(p) });
      else if (st.isFile()) await pipeline(createReadStream(p), pack.entry({ ...h, size: st.size }) as unknown as NodeJS.WritableStream);
    }
  };
  void walk(dir, '')
    .then(() => {
      if (extra) pack.entry({ name: extra.name, mode: 0o644, mtime: new Date() }, extra.data);
      pack.finalize();
    })
    .catch((e: Error) => pack.destroy(e));
  return pack;
}

/** The Dockerfile line a failed step came from, for the error's context. */
function lineOfStep(text: string, step: string | undefined): number | undefined {
  if (!step) return undefined;
  const first = step.split('\n')[0]!.trim().split(/\s+/).slice(0, 3).join(' ');
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.trim().replace(/\s+/g, ' ').startsWith(first));
  return i >= 0 ? i + 1 : undefined;
}

function pointAt(text: string | undefined, line: number | undefined, name: string): string {
  if (!text || !line) return '';
  const lines = text.replace(/\n$/, '').split('\n');
  let out = `\n --> ${name}:${line}\n`;
  for (let n = Math.max(1, line - 2); n <= Math.min(lines.length, line + 1); n++) out += `${n === line ? '>>>' : '   '} ${String(n).padStart(3)} | ${lines[n - 1]}\n`;
  return out;
}

export async function buildCommand(argv: string[]): Promise<number> {
  let a: Args | 'help';
  try {
    a = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof ArgError)) throw e;
    process.stderr.write(`berth build: ${e.message}\n\n${usage}`);
    return 2;
  }
  if (a === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  const dir = resolve(a.dir);
  if (!existsSync(dir) || !lstatSync(dir).isDirectory()) {
    process.stderr.write(`berth build: unable to prepare context: path "${a.dir}" not found\n`);
    return 1;
  }
  const dfPath = a.file ? resolve(a.file) : join(dir, 'Dockerfile');
  let dfName = relative(dir, dfPath);
  let extra: { name: string; data: Buffer } | undefined;
  let dfText: string | undefined;
  try {
    dfText = readFileSync(dfPath, 'utf8');
  } catch {
    dfText = undefined;
  }
  if (dfName.startsWith('..') && dfText !== undefined) {
    // a Dockerfile outside the context travels inside it under its own name, as the docker CLI sends it
    dfName = `.dockerfile.berth-${process.pid}`;
    extra = { name: dfName, data: Buffer.from(dfText) };
  }
  const q = new URLSearchParams();
  for (const t of a.tags) q.append('t', t);
  q.set('dockerfile', dfName);
  if (Object.keys(a.buildArgs).length) q.set('buildargs', JSON.stringify(a.buildArgs));
  if (Object.keys(a.labels).length) q.set('labels', JSON.stringify(a.labels));
  if (a.noCache) q.set('nocache', '1');
  if (a.target) q.set('target', a.target);
  if (a.platform) q.set('platform', a.platform);
  if (a.explain) q.set('explain', '1');
  if (a.quiet) q.set('q', '1');
  q.set('rm', '1');
  const body = await contextTar(dir, dfName, extra);
  const name = a.file ?? 'Dockerfile';
  return new Promise<number>((done) => {
    const req = request({ socketPath: a.socket, path: `/v1.50/build?${q}`, method: 'POST', headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' } }, (res) => {
      let buf = '';
      let lastStep: string | undefined;
      let errLine: number | undefined;
      let code = 0;
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        if (res.statusCode !== 200) return;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          let m: { stream?: string; error?: string; errorDetail?: { code?: number; message?: string } };
          try {
            m = JSON.parse(line) as typeof m;
          } catch {
            continue;
          }
          if (m.stream) {
            const s = /^Step \d+\/\d+ : (.*)$/m.exec(m.stream);
            if (s) lastStep = s[1];
            const e = /^\[error\] Dockerfile:(\d+)/.exec(m.stream);
            if (e) errLine = Number(e[1]);
            else process.stdout.write(m.stream);
          }
          if (m.error) {
            const named = /line (\d+)/.exec(m.error);
            const at = errLine ?? (named ? Number(named[1]) : lineOfStep(dfText ?? '', lastStep));
            process.stderr.write(`berth build: ${m.error}${pointAt(dfText, at, name)}`);
            code = m.errorDetail?.code || 1;
          }
        }
      });
      res.on('end', () => {
        if (res.statusCode !== 200) {
          let msg = buf.trim();
          try {
            msg = (JSON.parse(buf) as { message?: string }).message ?? msg;
          } catch {
            // not JSON: as is
          }
          const line = /line (\d+)/.exec(msg);
          process.stderr.write(`berth build: ${msg}${pointAt(dfText, line ? Number(line[1]) : undefined, name)}`);
          done(1);
          return;
        }
        done(code);
      });
    });
    req.on('error', (e) => {
      process.stderr.write(`berth build: cannot reach the engine at unix://${a.socket}: ${e.message} (is "berth engine" running?)\n`);
      done(1);
    });
    body.on('error', (e: Error) => req.destroy(e));
    body.pipe(req);
  });
}
