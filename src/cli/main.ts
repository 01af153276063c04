// The berth command: one binary for the API server, the container engine and the tools around them.
import { engineCommand } from './engine.js';
import { serverCommand, serverUsage, upCommand } from './server.js';
import { simCommand, simUsage } from './sim.js';
import { CommandError, UsageError } from './flags.js';
const usage = `Usage: berth <command> [options]

Commands:
  up        Start the all-in-one cluster on the embedded store (API server and what runs beside it)
  server    Start the Kubernetes API server: berth server --data-dir DIR --port N
  engine    Start the container engine behind the Docker Engine API: berth engine --data-dir DIR --socket PATH
  sim       Simulated nodes that join a cluster: berth sim nodes --count N
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
      return withUsage(() => upCommand(rest), serverUsage.replace('berth server --data-dir DIR', 'berth up [--data-dir DIR]'));
    case 'engine':
      return engineCommand(rest);
    case 'sim':
      return withUsage(() => simCommand(rest), simUsage);
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
