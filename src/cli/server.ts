// `berth server` and `berth up`: the API server on the embedded SQLite store, with its PKI and
// admin kubeconfig in the data directory.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/index.js';
import { startApiServer, DEFAULT_SERVICE_CIDR, type RunningApiServer } from '../apiserver/server.js';
import { LocalClient } from '../apiserver/local-client.js';
import { startControllerManager } from '../controllers/manager.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { SimNodes } from '../sim/nodes.js';
import { parseCidr, ipToString } from '../apiserver/allocator.js';
import { adminKubeconfig, ensurePki, localAddresses, writeKubeconfig } from '../apiserver/pki.js';
import { cgroupFlags, startKubelet } from './kubelet.js';
import { Proxier } from '../kubelet/proxy/proxier.js';
import { ClusterDns } from '../kubelet/dns/server.js';
import { run } from '../engine/sys.js';
import { CommandError, flagHelp, parseDuration, parseFlags, type FlagSpec } from './flags.js';

const serverFlags = {
  'data-dir': { type: 'string', help: 'directory for the store, PKI and kubeconfig' },
  port: { type: 'number', default: 6443, help: 'HTTPS port' },
  host: { type: 'string', default: '0.0.0.0', help: 'address to listen on' },
  'advertise-address': { type: 'string', default: '', help: 'address clients and pods use to reach the server (default: first non-loopback IPv4)' },
  store: { type: 'string', default: 'sqlite', help: 'object store: sqlite or memory' },
  controllers: { type: 'boolean', default: true, help: 'run the built-in controllers (namespace deletion, garbage collection, ...) and the scheduler in this process' },
  'sim-nodes': { type: 'number', default: 0, help: 'run this many simulated nodes (berth sim nodes) in this process' },
  'sim-start-delay': { type: 'string', default: '0.5s', help: 'simulated nodes: from binding to Running (berth sim nodes --start-delay)' },
  'sim-ready-delay': { type: 'string', default: '1s', help: 'simulated nodes: from Running to Ready; 0 makes them one status write (berth sim nodes --ready-delay)' },
  kubelet: { type: 'boolean', default: false, help: 'run this machine\'s kubelet, the Service proxy (iptables) and the cluster DNS in this process, its pods in berth\'s engine under DATA_DIR/engine (needs root and runc)' },
  'kubelet-port': { type: 'number', default: 10250, help: 'HTTPS port of the kubelet\'s logs, exec, attach and port-forward server (with --kubelet)' },
  'remove-pods-on-exit': { type: 'boolean', default: false, help: 'with --kubelet: on shutdown, stop and remove the pods\' containers (they start afresh next time) instead of leaving them running to be adopted (berth up: true)' },
  ...cgroupFlags,
  'engine-socket': { type: 'string', default: '', help: 'with --kubelet: also serve the Docker Engine API of the node\'s engine on this unix socket, so docker and berth build/pull/push reach the images pods run (berth up: /run/berth/docker.sock)' },
  'node-monitor-grace-period': { type: 'string', default: '50s', help: 'how long a node may stop renewing its Lease before it is marked Unknown and tainted unreachable (kube-controller-manager\'s flag and its default since 1.32)' },
  'cluster-signing-duration': { type: 'string', default: '8760h', help: 'the longest validity of certificates the CSR signer issues with the cluster CA (kube-controller-manager\'s flag and default); a CSR\'s spec.expirationSeconds may ask for less' },
  'auto-approve-kubelet-serving': { type: 'boolean', default: true, help: 'approve kubernetes.io/kubelet-serving CSRs that a node makes for its own name and addresses, or that a cluster admin (system:masters) makes; false leaves them to kubectl certificate approve' },
} satisfies FlagSpec;

export const serverUsage = `Usage: berth server --data-dir DIR [--port N]\n\n${flagHelp(serverFlags)}\n`;

export interface Started {
  server: RunningApiServer;
  kubeconfig: string;
  close(): Promise<void>;
}

export async function startServer(args: string[], defaults: Partial<Record<keyof typeof serverFlags, string>> = {}): Promise<Started> {
  const withDefaults = Object.entries(defaults).flatMap(([k, v]) => (args.some((a) => a === `--${k}` || a.startsWith(`--${k}=`)) ? [] : [`--${k}=${v}`]));
  const f = parseFlags([...withDefaults, ...args], serverFlags);
  const nodeMonitorGraceMs = parseDuration(f['node-monitor-grace-period']);
  const dataDir = f['data-dir'];
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const advertise = f['advertise-address'] || localAddresses().find((a) => a !== '127.0.0.1') || '127.0.0.1';
  const serviceIP = ipToString(parseCidr(DEFAULT_SERVICE_CIDR).base + 1);
  const pki = ensurePki(dataDir, serviceIP);
  if (f.store !== 'sqlite' && f.store !== 'memory') throw new Error(`--store must be sqlite or memory, not "${f.store}"`);
  const store = f.store === 'memory' ? openStore({ kind: 'memory' }) : openStore({ kind: 'sqlite', path: join(dataDir, 'state.db') });
  let server: RunningApiServer;
  try {
    server = await startApiServer({
      store,
      host: f.host,
      port: f.port,
      advertiseAddress: advertise,
      tls: { cert: pki.serverCert, key: pki.serverKey, clientCA: pki.caCert },
      serviceAccountKey: pki.saKey,
      kubeletClient: { cert: pki.kubeletClientCert, key: pki.kubeletClientKey, ca: pki.caCert },
    });
  } catch (e) {
    await store.close();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CommandError(`port ${f.port} on ${f.host} is in use (is another berth or API server running?); choose another with --port`);
    }
    throw e;
  }
  const controllers = f.controllers
    ? startControllerManager(new LocalClient(server.rest, undefined, { userAgent: 'kube-controller-manager' }), {}, {
      nodeLifecycle: { gracePeriodMs: nodeMonitorGraceMs },
      localPath: { baseDir: join(dataDir, 'local-path') },
      rootCA: pki.caCert,
      csrSigning: { ca: { cert: pki.caCert, key: readFileSync(join(dataDir, 'pki', 'ca.key'), 'utf8') }, durationMs: parseDuration(f['cluster-signing-duration']) },
      csrApproving: f['auto-approve-kubelet-serving'],
    })
    : undefined;
  const scheduler = f.controllers ? new Scheduler(new LocalClient(server.rest, undefined, { userAgent: 'kube-scheduler' })) : undefined;
  await Promise.all([controllers?.ready, scheduler?.start()]);
  const simTiming = { startDelayMs: parseDuration(f['sim-start-delay']), readyDelayMs: parseDuration(f['sim-ready-delay']) };
  const sim = f['sim-nodes'] > 0 ? new SimNodes(new LocalClient(server.rest), { count: f['sim-nodes'], timing: simTiming }) : undefined;
  await sim?.start();
  const node = f.kubelet
    ? await startNode(new LocalClient(server.rest, undefined, { userAgent: 'kubelet' }), dataDir, advertise, f['kubelet-port'], f['engine-socket'], f['remove-pods-on-exit'], { cgroupRoot: f['cgroup-root'], cgroupsPerQOS: f['cgroups-per-qos'] })
    : undefined;
  const kubelet = node?.kubelet;
  // Diagnostics for performance work: per-controller work, every few seconds, on stderr.
  const statsEvery = Number(process.env.BERTH_CONTROLLER_STATS ?? 0);
  const statsTimer = statsEvery > 0 ? setInterval(() => {
    const all = { ...controllers?.runner.statsSnapshot(), ...sim?.runner.statsSnapshot() };
    const line = Object.entries(all).map(([n, v]) => `${n}: ${v.reconciles}r ${v.actions}a ${v.errors}e ${v.computeMs.toFixed(0)}/${v.executeMs.toFixed(0)}ms q${v.queued}`).join(' | ');
    process.stderr.write(`berth stats: ${line}\n`);
  }, statsEvery * 1000) : undefined;
  statsTimer?.unref();
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  writeKubeconfig(kubeconfig, adminKubeconfig(pki, `https://127.0.0.1:${server.port}`));
  return {
    server,
    kubeconfig,
    close: async () => {
      if (statsTimer) clearInterval(statsTimer);
      sim?.stop();
      await node?.close();
      scheduler?.stop();
      controllers?.stop();
      await server.close();
      await store.close();
    },
  };
}

/** The engine's default bridge, where pods get their addresses (the proxy's cluster CIDR). */
const POD_CIDR = '172.17.0.0/16';

/** Why this machine cannot run real pods (undefined: it can). */
export async function whyNoNode(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not running as root';
  for (const tool of ['runc', 'iptables-restore']) if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) return `${tool} is not installed`;
  return undefined;
}

/**
 * This machine as a node: the cluster DNS (behind the kube-dns Service at the 10th address of
 * the service range), the Service proxy, and the kubelet, whose ClusterFirst pods use that DNS.
 * Closing stops them and removes the proxy's rules; the pods' containers keep running unless asked
 * to go too (berth up).
 */
async function startNode(
  client: LocalClient,
  dataDir: string,
  nodeIP: string,
  kubeletPort: number,
  engineSocket: string,
  removePods: boolean,
  cgroups: { cgroupRoot: string; cgroupsPerQOS: boolean },
): Promise<{ kubelet: Awaited<ReturnType<typeof startKubelet>>; close(): Promise<void> }> {
  const log = (m: string) => process.stderr.write(`berth: ${m}\n`);
  const dnsIP = ipToString(parseCidr(DEFAULT_SERVICE_CIDR).base + 10);
  const dns = new ClusterDns(client, { host: nodeIP, clusterIP: dnsIP, log });
  const nodeName = hostname().toLowerCase();
  await dns.start(nodeName);
  const proxy = new Proxier(client, { clusterCIDR: POD_CIDR, nodeName, log });
  try {
    await proxy.start();
  } catch (e) {
    await dns.stop();
    await proxy.stop().catch(() => undefined);
    throw e;
  }
  let kubelet: Awaited<ReturnType<typeof startKubelet>>;
  try {
    kubelet = await startKubelet(client, dataDir, { nodeName, clusterDNS: [dnsIP], port: kubeletPort, ...cgroups, ...(engineSocket ? { engineSocket } : {}) });
  } catch (e) {
    await proxy.stop().catch(() => undefined);
    await dns.stop();
    throw e;
  }
  return {
    kubelet,
    close: async () => {
      if (removePods) await kubelet.removePods().catch((e: unknown) => log(`removing the pods' containers and cgroups failed: ${e instanceof Error ? e.message : String(e)}`));
      kubelet.close();
      await proxy.stop().catch((e: unknown) => log(`proxy: removing rules failed: ${e instanceof Error ? e.message : String(e)}`));
      await dns.stop();
    },
  };
}

/** Runs until SIGINT or SIGTERM, then shuts down cleanly. */
export async function runUntilSignal(close: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // A second Ctrl-C while shutting down (a pod still in its grace period, say) quits at once.
  const force = () => {
    process.stderr.write('berth: stopping now\n');
    process.exit(130);
  };
  process.once('SIGINT', force);
  process.stderr.write('berth: shutting down (Ctrl-C again to quit at once)\n');
  await close();
  process.off('SIGINT', force);
}

export async function serverCommand(args: string[]): Promise<number> {
  const s = await startServer(args);
  process.stdout.write(`berth: API server listening on ${s.server.url.replace('http:', 'https:')}\nberth: admin kubeconfig: ${s.kubeconfig}\n`);
  await runUntilSignal(s.close);
  return 0;
}

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/berth' : join(homedir(), '.local', 'share', 'berth');
}

export async function upCommand(args: string[]): Promise<number> {
  // the node (kubelet, proxy, DNS) runs unless asked not to or impossible here
  const asked = args.some((a) => a === '--kubelet' || a.startsWith('--kubelet='));
  const why = asked ? undefined : await whyNoNode();
  if (why) process.stdout.write(`berth: not running pods on this machine (${why}); the API server, controllers and scheduler run without a kubelet, Service proxy or cluster DNS\n`);
  const s = await startServer(args, { 'data-dir': defaultDataDir(), ...(why ? {} : { kubelet: 'true', 'engine-socket': '/run/berth/docker.sock', 'remove-pods-on-exit': 'true' }) });
  const kubeDir = join(homedir(), '.kube');
  const userConfig = join(kubeDir, 'config');
  const ours = readFileSync(s.kubeconfig, 'utf8');
  let hint = `export KUBECONFIG=${s.kubeconfig}`;
  if (!existsSync(userConfig)) {
    mkdirSync(kubeDir, { recursive: true });
    writeKubeconfig(userConfig, ours);
    hint = `kubectl uses ${userConfig} (a copy of ${s.kubeconfig})`;
  } else if (readFileSync(userConfig, 'utf8') === ours) {
    hint = `kubectl uses ${userConfig} (a copy of ${s.kubeconfig})`;
  }
  process.stdout.write(
    `berth: cluster is up: API server on https://127.0.0.1:${s.server.port}\n` +
      `berth: ${hint}\n` +
      `berth: try: kubectl get namespaces\n` +
      `berth: Ctrl-C stops it; state stays in ${s.kubeconfig.replace(/\/admin\.kubeconfig$/, '')}\n`,
  );
  await runUntilSignal(s.close);
  return 0;
}
