// The berth command: one binary for the API server, the container engine and the tools around them.
import { buildCommand } from './build.js';
import { engineCommand } from './engine.js';
import { serverCommand, serverUsage, upCommand } from './server.js';
import { simCommand, simUsage } from './sim.js';
import { loginCommand, pullCommand, pushCommand, registryUsage } from './registry.js';
import { checkCommand, checkUsage } from './check.js';
import { kubeletCommand, kubeletUsage } from './kubelet.js';
import { CommandError, UsageError } from './flags.js';
const usage = `Usage: berth <command> [options]

Commands:
  up        Start the all-in-one cluster on the embedded store (API server and what runs beside it)
  server    Start the Kubernetes API server: berth server --data-dir DIR --port N
  engine    Start the container engine behind the Docker Engine API: berth engine --data-dir DIR --socket PATH
  kubelet   Run this machine's pods as a node of a cluster: berth kubelet --kubeconfig FILE --data-dir DIR
  build     Build an image from a Dockerfile through the engine: berth build [-t NAME] [--explain] DIR
  pull      Pull an image from a registry into the engine: berth pull NAME[:TAG|@DIGEST]
  push      Push an image from the engine to a registry: berth push NAME[:TAG]
  login     Log in to a registry: berth login -u USER --password-stdin SERVER
  sim       Simulated nodes that join a cluster: berth sim nodes --count N;
            a deterministic simulation: berth sim run SCENARIO --seed N
  check     Model-check a property of the real controllers: berth check PROPERTY --scope ...
  help      Show this help
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return 0;
    case 'server':
      return withUsage(() => serverCommand(rest), serverUsage);
    case 'up':
      return withUsage(() => upCommand(rest), serverUsage.replace('berth server --data-dir DIR', 'berth up [--data-dir DIR]').replace(/(\n  --kubelet  [^\n]*)\(default false\)/, '$1(default: on, when root and runc are there)'));
    case 'engine':
      return engineCommand(rest);
    case 'build':
      return buildCommand(rest);
    case 'kubelet':
      return withUsage(() => kubeletCommand(rest), kubeletUsage);
    case 'sim':
      return withUsage(() => simCommand(rest), simUsage);
    case 'pull':
      return withUsage(() => pullCommand(rest), registryUsage);
    case 'push':
      return withUsage(() => pushCommand(rest), registryUsage);
    case 'login':
      return withUsage(() => loginCommand(rest), registryUsage);
    case 'check':
      return withUsage(() => checkCommand(rest), checkUsage);
    default:
      process.stderr.write(`berth: unknown command "${cmd}"\n\n${usage}`);
      return 2;
  }
}

async function withUsage(run: () => Promise<number>, help: string): Promise<number> {
  if (process.argv.slice(3).some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(help);
    return 0;
  }
  try {
    return await run();
  } catch (e) {
    if (e instanceof CommandError) {
      process.stderr.write(`berth: ${e.message}\n`);
      return 1;
    }
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`berth: ${e.message}\n\n${help}`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`berth: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
