// `berth kubelet --kubeconfig F --data-dir D [--node-name N]`: this machine as a node of a
// cluster, its pods run by berth's container engine in the same process (engine data under
// D/engine, the kubelet's pod directories under D/kubelet). `berth server --kubelet` starts the
// same thing beside the API server.
import { existsSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import type { ApiClient } from '../model/api.js';
import { Engine } from '../engine/engine.js';
import { HttpClient, loadKubeconfig } from '../client/http.js';
import { RemoteClient } from '../client/remote.js';
import { EngineRuntime } from '../kubelet/engine-runtime.js';
import { Kubelet } from '../kubelet/kubelet.js';
import { CommandError, flagHelp, parseFlags, type FlagSpec } from './flags.js';
import { runUntilSignal } from './server.js';

const kubeletFlags = {
  kubeconfig: { type: 'string', default: '', help: 'kubeconfig of the cluster to join (default $KUBECONFIG, then ~/.kube/config)' },
  'data-dir': { type: 'string', default: '/var/lib/berth', help: 'directory for the engine (DIR/engine) and the pods (DIR/kubelet)' },
  'node-name': { type: 'string', default: '', help: 'the Node to register (default: the hostname, lower-cased)' },
  'node-ip': { type: 'string', default: '', help: 'the node\'s InternalIP (default: the first non-loopback IPv4 address)' },
} satisfies FlagSpec;

export const kubeletUsage = `Usage: berth kubelet --kubeconfig FILE --data-dir DIR [--node-name NAME]\n\nRuns this machine's pods with berth's container engine (needs root, runc and CNI plugins).\n\n${flagHelp(kubeletFlags)}\n`;

export interface RunningKubelet {
  kubelet: Kubelet;
  engine: Engine;
  /** Stops heartbeating; containers keep running. */
  close(): void;
}

/** Opens the engine under DIR/engine and starts a kubelet on it. */
export async function startKubelet(client: ApiClient, dataDir: string, opts: { nodeName?: string; nodeIP?: string } = {}): Promise<RunningKubelet> {
  if (process.getuid?.() !== 0) throw new CommandError('the kubelet must run as root (runc, overlayfs mounts and network namespaces need it)');
  const engine = await Engine.open({ dataDir: join(dataDir, 'engine') });
  const runtime = new EngineRuntime(engine);
  const kubelet = new Kubelet(client, {
    nodeName: opts.nodeName || hostname().toLowerCase(),
    dataDir: join(dataDir, 'kubelet'),
    runtime,
    ...(opts.nodeIP ? { nodeIP: opts.nodeIP } : {}),
    log: (m) => process.stderr.write(`berth: ${m}\n`),
  });
  try {
    await kubelet.start();
  } catch (e) {
    kubelet.stop();
    engine.close();
    throw e;
  }
  return {
    kubelet,
    engine,
    close: () => {
      kubelet.stop();
      engine.close();
    },
  };
}

export async function kubeletCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, kubeletFlags);
  const kubeconfig = f.kubeconfig || process.env.KUBECONFIG?.split(':')[0] || join(homedir(), '.kube', 'config');
  if (!existsSync(kubeconfig)) throw new CommandError(`kubeconfig ${kubeconfig} not found; pass --kubeconfig`);
  const client = new RemoteClient(new HttpClient(loadKubeconfig(kubeconfig)));
  const k = await startKubelet(client, f['data-dir'], { nodeName: f['node-name'], nodeIP: f['node-ip'] });
  process.stdout.write(`berth: kubelet running as node ${k.kubelet.nodeName} (engine data in ${k.engine.dataDir})\n`);
  await runUntilSignal(async () => k.close());
  return 0;
}
