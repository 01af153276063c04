// A `berth server --kubelet` for end-to-end tests, with busybox preloaded into its engine, and a
// teardown that leaves the host as it found it even when a test failed half-way: a stopped kubelet
// leaves its pods' containers running (as upstream's does), so the pods are deleted first, and
// whatever still runs is removed through the engine before the directory goes.
import { mkdtempSync } from 'node:fs';
import { basename, join } from 'node:path';
import { removeCgroup } from '../../src/engine/cgroups.js';
import { Engine } from '../../src/engine/engine.js';
import { unmountAll } from '../../src/engine/sys.js';
import { kubectl, removeDir, startServer, type ServerProcess } from './cluster.js';
import { cgroupTree, hostLinks, natChainsExist, removeTestBridges } from '../engine/hoststate.js';
import { preloadBusybox } from '../kubelet/preload.js';

export interface NodeServer {
  server: ServerProcess;
  dataDir: string;
  /** The kubelet's --cgroup-root, of this node alone (another kubelet on the machine would take its pod cgroups for orphans). */
  cgroupRoot: string;
  /** Stops the server (its pods keep running) and starts it again on the same directory. */
  restart(): Promise<ServerProcess>;
  /** Deletes every pod, stops the server, removes any container left, the kubelet's cgroups and the data directory; fails if a cgroup stays. */
  stop(): Promise<void>;
}

export async function startNodeServer(name: string, extraArgs: string[] = []): Promise<NodeServer> {
  const links = hostLinks();
  const nat = natChainsExist();
  const dataDir = mkdtempSync(`/tmp/berth-e2e-${name}-`);
  const cgroupRoot = `/${basename(dataDir)}`;
  await preloadBusybox(dataDir);
  const start = () => startServer({ dataDir, extraArgs: ['--kubelet', `--cgroup-root=${cgroupRoot}`, ...extraArgs] });
  const node: NodeServer = {
    server: await start(),
    dataDir,
    cgroupRoot,
    restart: async () => {
      await node.server.stop();
      node.server = await start();
      return node.server;
    },
    stop: async () => {
      const server = node.server;
      await kubectl(server.kubeconfig, ['delete', 'pods', '--all', '--all-namespaces', '--grace-period=0', '--force', '--wait=true'], undefined, 60_000).catch(() => undefined);
      await server.stop();
      await removeContainers(join(dataDir, 'engine'));
      // a stopped kubelet leaves its hierarchy (and a killed one its pods' cgroups): the teardown takes it
      await removeCgroup(cgroupRoot);
      // a force-deleted pod's volumes (tmpfs) may outlive a kubelet stopped before it unmounted them
      await unmountAll(dataDir);
      removeDir(dataDir);
      removeTestBridges(links, nat);
      const left = cgroupTree(cgroupRoot);
      if (left.length) throw new Error(`cgroups left behind: ${left.join(', ')}`);
    },
  };
  return node;
}

/** Removes every container of an engine directory (with its mounts, network namespace, cgroups and leases). */
async function removeContainers(engineDir: string): Promise<void> {
  const engine = await Engine.open({ dataDir: engineDir });
  try {
    for (const c of engine.containers.list()) await engine.containers.remove(c.id, { force: true }).catch(() => undefined);
  } finally {
    engine.close();
  }
}
