// `berth engine --data-dir DIR --socket PATH`: the container engine behind the Docker Engine API.
import { Engine } from '../engine/engine.js';
import { serveEngineAPI } from '../engineapi/server.js';

const usage = `Usage: berth engine --data-dir DIR --socket PATH

Runs the container engine (runc containers, overlayfs, CNI networks) and serves the Docker
Engine API on a unix socket, so that the docker CLI works against it:
  DOCKER_HOST=unix://PATH docker run --rm busybox echo hello

Options:
  --data-dir DIR   where images, containers, volumes and networks are kept (default /var/lib/berth)
  --socket PATH    the unix socket to listen on (default /run/berth/docker.sock)
  --cgroup-parent CGROUP
                   the parent cgroup of containers that name none with --cgroup-parent
                   (default /berth; a relative path is below the engine's own cgroup)
`;

export async function engineCommand(args: string[]): Promise<number> {
  let dataDir = '/var/lib/berth';
  let socket = '/run/berth/docker.sock';
  let cgroupParent = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`flag needs an argument: ${flag}`);
      return v;
    };
    switch (flag) {
      case '--data-dir':
        dataDir = value();
        break;
      case '--socket':
        socket = value();
        break;
      case '--cgroup-parent':
        cgroupParent = value();
        break;
      case '-h':
      case '--help':
        process.stdout.write(usage);
        return 0;
      default:
        process.stderr.write(`berth engine: unknown flag: ${a}\n\n${usage}`);
        return 2;
    }
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('berth engine: must run as root (runc, overlayfs mounts and network namespaces need it)\n');
    return 1;
  }
  const { mkdirSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  mkdirSync(dirname(socket), { recursive: true });
  const engine = await Engine.open({ dataDir, ...(cgroupParent ? { cgroupParent } : {}) });
  const api = await serveEngineAPI(engine, socket);
  process.stderr.write(`berth engine: serving the Docker Engine API on unix://${socket} (data in ${engine.dataDir})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await api.close();
  engine.close();
  return 0;
}
