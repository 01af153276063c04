// The berth command: one binary for the API server, the container engine and the tools around them.
const usage = `Usage: berth <command> [options]

Commands:
  up        Start the all-in-one cluster on the embedded store (API server and what runs beside it)
  server    Start the Kubernetes API server: berth server --data-dir DIR --port N
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
    default:
      process.stderr.write(`berth: unknown command "${cmd}"\n\n${usage}`);
      void rest;
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
