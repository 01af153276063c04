// The real docker CLI against `berth engine`: images, the container lifecycle, I/O (logs, exec,
// -it through a pty), ports, user networks, volumes, events, upstream errors, and a SIGKILLed
// engine coming back to its running containers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { get, request } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import tarStream from 'tar-stream';
import { join, posix } from 'node:path';
import { parseProcCgroup, removeCgroup } from '../../src/engine/cgroups.js';
import { EngineProcess } from './harness.js';
import { canRunContainers, hostLinks, hostState, natChainsExist, removeTestBridges } from '../engine/hoststate.js';

const skip = canRunContainers();
const eng = new EngineProcess();
let links: Set<string>;
let nat = false;

before(async () => {
  if (skip) return;
  links = hostLinks();
  nat = natChainsExist();
  await eng.start();
  await eng.loadBusybox();
});

after(async () => {
  if (skip) {
    await eng.cleanup();
    return;
  }
  await eng.cleanup();
  removeTestBridges(links, nat);
});

const ok = async (args: string[], input?: string) => {
  const r = await eng.docker(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
};

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

test('version negotiation: current API by default, older on request, newer refused', { skip }, async () => {
  assert.equal((await ok(['version', '--format', '{{.Server.APIVersion}} {{.Client.APIVersion}}'])).trim(), '1.50 1.50');
  const old = await eng.docker(['ps'], { env: { DOCKER_API_VERSION: '1.41' } });
  assert.equal(old.code, 0, old.stderr);
  const tooNew = await eng.docker(['ps'], { env: { DOCKER_API_VERSION: '1.99' } });
  assert.notEqual(tooNew.code, 0);
  assert.match(tooNew.stderr, /client version 1\.99 is too new\. Maximum supported API version is 1\.50/);
});

test('images: load, tag, inspect, save and load back, rmi with its rules', { skip }, async () => {
  assert.match(await ok(['images']), /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\nbusybox\s+latest\s+[0-9a-f]{12}\s+.*ago\s+1\.98MB\n$/);
  await ok(['tag', 'busybox', 'example.com/team/box:v1']);
  assert.equal((await ok(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=example.com/*/*'])).trim(), 'example.com/team/box:v1');
  assert.equal((await ok(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}', 'busybox'])).trim(), 'linux/amd64 1');
  const tar = join(eng.dir, 'saved.tar');
  await ok(['save', '-o', tar, 'example.com/team/box:v1']);
  assert.match(await ok(['rmi', 'example.com/team/box:v1']), /^Untagged: example\.com\/team\/box:v1\n$/);
  assert.match(await ok(['load', '-i', tar]), /Loaded image: example\.com\/team\/box:v1/);
  const missing = await eng.docker(['rmi', 'nosuch:1']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Error response from daemon: No such image: nosuch:1/);
  await ok(['rmi', 'example.com/team/box:v1']);
  // import a root filesystem
  const rootfs = join(eng.dir, 'rootfs.tar');
  const { busyboxRootfs } = await import('../engine/busybox.js');
  writeFileSync(rootfs, await busyboxRootfs());
  const id = (await ok(['import', '--change', 'CMD ["echo","imported"]', rootfs, 'imp:1'])).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal((await ok(['run', '--rm', '--network', 'none', 'imp:1'])).trim(), 'imported');
  await ok(['rmi', 'imp:1']);
});

test('run: -d, --rm, -e, --name, --user, --workdir, --entrypoint, --memory, --cpus, --restart, -v', { skip }, async () => {
  assert.equal(await ok(['run', '--rm', '-e', 'A=1', '--user', 'nobody', '--workdir', '/tmp/w', 'busybox', 'sh', '-c', 'echo $A $(id -u) $(pwd)']), '1 65534 /tmp/w\n');
  assert.equal(await ok(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'from', 'entrypoint']), 'from entrypoint\n');
  const id = (await ok(['run', '-d', '--name', 'svc', '--memory', '32m', '--cpus', '0.5', '--restart', 'unless-stopped', '-v', 'data1:/data', 'busybox', 'sleep', '1000'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}} {{(index .Mounts 0).Name}}', 'svc'])).trim(), 'running 33554432 500000000 unless-stopped data1');
  const exited = await eng.docker(['run', '--name', 'ex3', 'busybox', 'sh', '-c', 'echo bye; exit 3']);
  assert.equal(exited.code, 3);
  assert.equal(exited.stdout, 'bye\n');
  assert.match(await ok(['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}} {{.Status}}']), /^ex3 Exited \(3\) (Less than a second|\d+ seconds?) ago\n$/);
  assert.equal(await ok(['ps', '--filter', 'name=svc', '--format', '{{.Names}}']), 'svc\n');
  assert.equal((await ok(['wait', 'ex3'])).trim(), '3');
  await ok(['rm', 'ex3']);
});

test('lifecycle: stop, start, restart, pause, unpause, kill, rm -f, and the invalid transitions', { skip }, async () => {
  await ok(['run', '-d', '--name', 'lc', 'busybox', 'sleep', '1000']);
  await ok(['pause', 'lc']);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}}', 'lc'])).trim(), 'paused');
  const again = await eng.docker(['pause', 'lc']);
  assert.match(again.stderr, /Error response from daemon: Container [0-9a-f]{64} is already paused/);
  const start = await eng.docker(['start', 'lc']);
  assert.match(start.stderr, /cannot start a paused container, try unpause instead/);
  const rm = await eng.docker(['rm', 'lc']);
  assert.match(rm.stderr, /You cannot remove a paused container [0-9a-f]{64}\. Unpause and then stop the container before attempting removal or force remove/);
  await ok(['unpause', 'lc']);
  await ok(['stop', '-t', '1', 'lc']);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'lc'])).trim(), 'exited 137');
  const kill = await eng.docker(['kill', 'lc']);
  assert.match(kill.stderr, /Container [0-9a-f]{64} is not running/);
  await ok(['start', 'lc']);
  await ok(['restart', '-t', '0', 'lc']);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}}', 'lc'])).trim(), 'running');
  await ok(['kill', 'lc']);
  assert.equal((await ok(['inspect', '-f', '{{.State.ExitCode}}', 'lc'])).trim(), '137');
  await ok(['start', 'lc']);
  await ok(['rm', '-f', 'lc']);
  const gone = await eng.docker(['inspect', 'lc']);
  assert.match(gone.stderr, /No such object: lc|No such container: lc/);
});

test('I/O: logs -f with --tail and --timestamps, exec with and without a TTY, run -it through a pty', { skip }, async () => {
  await ok(['run', '-d', '--name', 'talker', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; sleep 0.2; done']);
  // -f follows until the container exits; --tail then picks the last lines
  const follow = await eng.docker(['logs', '-f', 'talker']);
  assert.equal(follow.code, 0);
  assert.equal(follow.stdout, 'line 1\nline 2\nline 3\nline 4\nline 5\n');
  assert.equal(await ok(['logs', '--tail', '2', 'talker']), 'line 4\nline 5\n');
  assert.match(await ok(['logs', '-t', '--tail', '1', 'talker']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 5\n$/);
  await ok(['run', '-d', '--name', 'box', 'busybox', 'sleep', '1000']);
  assert.equal(await ok(['exec', 'box', 'sh', '-c', 'echo $HOSTNAME']), (await ok(['inspect', '-f', '{{.Config.Hostname}}', 'box'])));
  assert.equal(await ok(['exec', '-i', 'box', 'cat'], 'piped\n'), 'piped\n');
  const failed = await eng.docker(['exec', 'box', 'nosuch']);
  assert.equal(failed.code, 126);
  assert.match(failed.stdout, /OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in \$PATH: unknown/);
  const ex = await eng.dockerTTY(['exec', '-it', 'box', 'sh'], [{ after: 800, text: 'stty size; echo in-exec\n' }, { after: 400, text: 'exit 5\n' }]);
  assert.equal(ex.code, 5, ex.stdout);
  assert.match(ex.stdout, /40 100\r\n/);
  assert.match(ex.stdout, /in-exec\r\n/);
  const it = await eng.dockerTTY(['run', '-it', '--rm', 'busybox', 'sh'], [{ after: 800, text: 'tty; echo $((6*7))\n' }, { after: 400, text: 'exit 4\n' }]);
  assert.equal(it.code, 4, it.stdout);
  assert.match(it.stdout, /\/dev\/pts\/0\r\n42\r\n/);
  assert.match(await ok(['top', 'box']), /PID.*\n.*sleep 1000/);
  const stats = await ok(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'box']);
  assert.equal(stats.trim(), 'box 1');
  await ok(['rm', '-f', 'talker', 'box']);
});

test('-p 8080:80 serves busybox httpd to the host; a user network resolves names', { skip }, async () => {
  await ok(['run', '-d', '--name', 'web', '-p', '8080:80', 'busybox', 'sh', '-c', 'mkdir /www && echo hello-berth > /www/index.html && exec httpd -f -p 80 -h /www']);
  let body = '';
  for (let i = 0; i < 50 && !body; i++) {
    body = await httpGet('http://127.0.0.1:8080/').catch(() => '');
    if (!body) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(body, 'hello-berth\n');
  assert.equal((await ok(['port', 'web'])).trim(), '80/tcp -> 0.0.0.0:8080');
  const clash = await eng.docker(['run', '-d', '-p', '8080:80', 'busybox', 'sleep', '10']);
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /Bind for 0\.0\.0\.0:8080 failed: port is already allocated/);
  await ok(['network', 'create', 'appnet']);
  await ok(['run', '-d', '--name', 'srv', '--network', 'appnet', 'busybox', 'sh', '-c', 'echo pong > /tmp/i && exec httpd -f -p 80 -h /tmp']);
  assert.equal(await ok(['run', '--rm', '--network', 'appnet', 'busybox', 'wget', '-qO-', 'http://srv/i']), 'pong\n');
  const inspect = JSON.parse(await ok(['network', 'inspect', 'appnet'])) as { Containers: Record<string, { Name: string }> }[];
  assert.deepEqual(Object.values(inspect[0]!.Containers).map((c) => c.Name), ['srv']);
  const rmBusy = await eng.docker(['network', 'rm', 'appnet']);
  assert.match(rmBusy.stderr, /error while removing network: network appnet id [0-9a-f]{64} has active endpoints/);
  await ok(['rm', '-f', 'srv', 'web']);
  await ok(['network', 'rm', 'appnet']);
  const rmBuiltin = await eng.docker(['network', 'rm', 'bridge']);
  assert.match(rmBuiltin.stderr, /bridge is a pre-defined network and cannot be removed/);
});

test('volumes and networks: create, ls, inspect, rm', { skip }, async () => {
  assert.equal((await ok(['volume', 'create', '--label', 'k=v', 'vol2'])).trim(), 'vol2');
  assert.match(await ok(['volume', 'ls', '--filter', 'label=k=v']), /local\s+vol2/);
  assert.equal((await ok(['volume', 'inspect', '-f', '{{.Driver}} {{.Labels.k}} {{.Scope}}', 'vol2'])).trim(), 'local v local');
  await ok(['volume', 'rm', 'vol2']);
  assert.match((await eng.docker(['volume', 'inspect', 'vol2'])).stderr, /no such volume/);
  await ok(['network', 'create', '--subnet', '10.123.0.0/24', 'net2']);
  // as with dockerd, a gateway nobody asked for is not shown (the network still has one: .1)
  assert.equal((await ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}} [{{(index .IPAM.Config 0).Gateway}}]', 'net2'])).trim(), '10.123.0.0/24 []');
  const overlap = await eng.docker(['network', 'create', '--subnet', '10.123.0.0/16', 'net3']);
  assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
  const dup = await eng.docker(['network', 'create', 'net2']);
  assert.match(dup.stderr, /network with name net2 already exists/);
  assert.match(await ok(['network', 'ls', '--filter', 'name=net2']), /net2\s+bridge\s+local/);
  await ok(['network', 'rm', 'net2']);
});

test('events: a container run, filtered by container and event', { skip }, async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await ok(['run', '--name', 'evt', 'busybox', 'true']);
  await ok(['rm', 'evt']);
  const until = Math.floor(Date.now() / 1000) + 1;
  const out = await ok(['events', '--since', String(since), '--until', String(until), '--filter', 'container=evt', '--format', '{{.Type}} {{.Action}}']);
  assert.deepEqual(out.trim().split('\n'), ['container create', 'container attach', 'container start', 'container die', 'container destroy']);
});

test('--cgroup-parent: the container under it (a relative one under the engine\'s own cgroup), echoed by inspect, read by stats, changed by docker update; a file as parent fails as with dockerd', { skip }, async () => {
  const parent = `/berth-cli-cgparent-${process.pid}`;
  const rel = `berth-cli-cgparent-rel-${process.pid}`;
  try {
    const id = (await ok(['run', '-d', '--name', 'cgp', '--cgroup-parent', parent, '--memory', '40m', 'busybox', 'sleep', '1000'])).trim();
    const inside = await ok(['exec', 'cgp', 'cat', '/proc/self/cgroup']);
    for (const ctl of ['cpu', 'memory', 'pids']) assert.match(inside, new RegExp(`^\\d+:${ctl}:${parent}/${id}$`, 'm'));
    assert.equal((await ok(['inspect', '-f', '{{.HostConfig.CgroupParent}}', 'cgp'])).trim(), parent);
    assert.match(await ok(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'cgp']), / \/ 40MiB\n$/);
    // docker update reaches the same cgroup
    assert.equal(await ok(['update', '--memory', '60m', '--cpus', '0.25', 'cgp']), 'cgp\n');
    assert.equal(readFileSync(`/sys/fs/cgroup/memory${parent}/${id}/memory.limit_in_bytes`, 'utf8').trim(), String(60 << 20));
    assert.equal(readFileSync(`/sys/fs/cgroup/cpu${parent}/${id}/cpu.cfs_quota_us`, 'utf8').trim(), '25000');
    assert.match(await ok(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'cgp']), / \/ 60MiB\n$/);
    assert.equal((await ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}', 'cgp'])).trim(), `${60 << 20} 250000000`);
    // relative: below the engine's own cgroup in each hierarchy, as runc reads it (here the memory one may differ)
    const own = parseProcCgroup(readFileSync(`/proc/${eng.proc!.pid}/cgroup`, 'utf8'));
    const relRun = await ok(['run', '--rm', '--cgroup-parent', rel, 'busybox', 'cat', '/proc/self/cgroup']);
    for (const ctl of ['cpu', 'memory']) assert.match(relRun, new RegExp(`^\\d+:${ctl}:${posix.join(own.get(ctl) ?? '/', rel)}/[0-9a-f]{64}$`, 'm'));
    assert.equal((await ok(['inspect', '-f', '{{.HostConfig.CgroupParent}}', (await ok(['create', '--cgroup-parent', 'rel/x/', 'busybox', 'true'])).trim()])).trim(), 'rel/x/');
    const bad = await eng.docker(['run', '--rm', '--cgroup-parent', `${parent}/cpu.shares`, 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /unable to apply cgroup configuration: mkdir \/sys\/fs\/cgroup\/\w+\/berth-cli-cgparent-\d+\/cpu.shares: not a directory: unknown: Are you trying to mount a directory onto a file \(or vice-versa\)\?/);
  } finally {
    await eng.docker(['rm', '-f', 'cgp']);
    await eng.docker(['container', 'prune', '-f']);
    await removeCgroup(parent);
    await removeCgroup(rel);
  }
});

test('bad input gets dockerd errors and leaves nothing behind', { skip }, async () => {
  const before = hostState(eng.dataDir);
  const noImage = await eng.docker(['run', '--rm', 'nosuchimage']);
  assert.equal(noImage.code, 125);
  assert.match(noImage.stderr, /Unable to find image 'nosuchimage:latest' locally/);
  const badMount = await eng.docker(['run', '--rm', '--mount', 'type=bind,source=/nonexistent,target=/x', 'busybox', 'true']);
  assert.match(badMount.stderr, /invalid mount config for type "bind": bind source path does not exist: \/nonexistent/);
  const badMem = await eng.docker(['run', '--rm', '--memory', '1k', 'busybox', 'true']);
  assert.match(badMem.stderr, /Minimum memory limit allowed is 6MB/);
  const badCpus = await eng.docker(['run', '--rm', '--cpus', '64', 'busybox', 'true']);
  assert.match(badCpus.stderr, /Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available/);
  const badRestart = await eng.docker(['create', '--restart', 'always', '--rm', 'busybox', 'true']);
  assert.notEqual(badRestart.code, 0);
  const notFound = await eng.docker(['run', '--rm', 'busybox', 'nosuchcmd']);
  assert.equal(notFound.code, 127);
  assert.match(notFound.stderr, /exec: "nosuchcmd": executable file not found in \$PATH/);
  const state = await eng.docker(['unpause', (await ok(['create', 'busybox', 'true'])).trim()]);
  assert.match(state.stderr, /is not paused/);
  await ok(['container', 'prune', '-f']);
  assert.deepEqual(hostState(eng.dataDir), before);
});

test('SIGKILL the engine: containers stay listed, controllable, and their logs go on', { skip }, async () => {
  await ok(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']);
  await ok(['run', '-d', '--name', 'pub', '-p', '8081:80', 'busybox', 'sh', '-c', 'echo still > /tmp/index.html && exec httpd -f -p 80 -h /tmp']);
  await new Promise((r) => setTimeout(r, 600));
  await eng.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 600));
  await eng.start();
  assert.match(await ok(['ps', '--format', '{{.Names}} {{.Status}}']), /ticker Up/);
  await new Promise((r) => setTimeout(r, 500));
  const ticks = (await ok(['logs', 'ticker'])).trim().split('\n').map((l) => Number(l.split(' ')[1]));
  assert.ok(ticks.length >= 6, ticks.join(','));
  assert.deepEqual(ticks, ticks.map((_, i) => i));
  assert.equal(await httpGet('http://127.0.0.1:8081/'), 'still\n');
  await ok(['pause', 'ticker']);
  await ok(['unpause', 'ticker']);
  await ok(['stop', '-t', '1', 'ticker']);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'ticker'])).trim(), 'exited 137');
  await ok(['rm', '-f', 'ticker', 'pub']);
});

/** A raw Engine API request over the test engine's socket. */
function engineRequest(method: string, path: string, body?: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: eng.socket, method, path, headers: body ? { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function tarOf(entries: { name: string; type?: 'file' | 'symlink' | 'directory'; linkname?: string; body?: string }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname! });
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory' });
    else pack.entry({ name: e.name }, e.body ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('cp, diff, export: files in and out of running and stopped containers; symlinks resolve inside the container, never on the host', { skip }, async () => {
  const before = hostState(eng.dataDir);
  await ok(['run', '-d', '--name', 'files', '-v', '/vol', 'busybox', 'sh', '-c', 'mkdir -p /tmp/d; echo a > /tmp/d/a; ln -sfn / /tmp/root; ln -sfn /etc /tmp/etclink; rm -f /bin/zcat; touch /ready; sleep 1000']);
  for (let i = 0; i < 50 && (await eng.docker(['exec', 'files', 'test', '-f', '/ready'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  // the mount points runc makes are in the init layer, not among the changes
  const diff = (await ok(['diff', 'files'])).split('\n').filter(Boolean);
  for (const line of ['C /tmp', 'A /tmp/d', 'A /tmp/d/a', 'A /tmp/root', 'C /bin', 'D /bin/zcat', 'A /vol', 'A /ready']) assert.ok(diff.includes(line), `${line} in ${diff.join(', ')}`);
  assert.ok(!diff.some((l) => /\/etc\/(hosts|hostname|resolv\.conf)$/.test(l)), diff.join(', '));

  // HEAD: the path's stat, base64 JSON, the last element not followed
  const head = await engineRequest('HEAD', '/containers/files/archive?path=/tmp/root');
  assert.equal(head.status, 200);
  const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.deepEqual({ name: stat.name, mode: stat.mode, linkTarget: stat.linkTarget }, { name: 'root', mode: 2 ** 27 + 0o777, linkTarget: '/' });
  assert.equal((await engineRequest('HEAD', '/containers/files/archive?path=/nope')).status, 404);

  // through symlinks to "/" and to /etc: the container's files, not the host's
  const id = (await ok(['inspect', '-f', '{{.Id}}', 'files'])).trim();
  const out = join(eng.dir, 'cp-hostname');
  await ok(['cp', '-L', 'files:/tmp/root/etc/hostname', out]);
  assert.equal(readFileSync(out, 'utf8'), `${id.slice(0, 12)}\n`);
  writeFileSync(join(eng.dir, 'marker'), 'in\n');
  await ok(['cp', join(eng.dir, 'marker'), 'files:/tmp/etclink/']);
  assert.equal(await ok(['exec', 'files', 'cat', '/etc/marker']), 'in\n');
  assert.ok(!existsSync('/etc/marker'), 'written on the host');

  // an archive that links out and writes through the link stays inside; one that climbs out is refused
  const escape = await tarOf([{ name: 'esc', type: 'symlink', linkname: '/' }, { name: 'esc/tmp/berth-escaped', body: 'x' }]);
  assert.equal((await engineRequest('PUT', '/containers/files/archive?path=/tmp', escape)).status, 200);
  assert.ok(!existsSync('/tmp/berth-escaped'), 'extracted onto the host');
  assert.equal(await ok(['exec', 'files', 'cat', '/tmp/berth-escaped']), 'x');
  const climb = await engineRequest('PUT', '/containers/files/archive?path=/tmp', await tarOf([{ name: '../outside', body: 'x' }]));
  assert.equal(climb.status, 400);
  assert.match(JSON.parse(climb.body.toString()).message, /is outside of/);
  const notDir = await engineRequest('PUT', '/containers/files/archive?path=/tmp/d/a', escape);
  assert.deepEqual([notDir.status, JSON.parse(notDir.body.toString()).message], [400, 'extraction point is not a directory']);

  // export: the whole root (init layer included), no volume contents
  await ok(['exec', 'files', 'sh', '-c', 'echo v > /vol/in-volume']);
  const names = execFileSync('tar', ['tf', '-'], { input: (await engineRequest('GET', '/containers/files/export')).body, encoding: 'utf8' }).split('\n');
  for (const n of ['.dockerenv', 'tmp/d/a', 'etc/marker', 'vol/', 'etc/mtab']) assert.ok(names.includes(n), `${n} exported`);
  assert.ok(!names.includes('vol/in-volume') && !names.includes('bin/zcat'));

  // stopped: the root is mounted here for the copy, volumes mapped, and unmounted after
  await ok(['stop', '-t', '0', 'files']);
  await ok(['cp', join(eng.dir, 'marker'), 'files:/vol/from-host']);
  await ok(['cp', 'files:/tmp/d/a', join(eng.dir, 'a-from-stopped')]);
  assert.equal(readFileSync(join(eng.dir, 'a-from-stopped'), 'utf8'), 'a\n');
  await ok(['start', 'files']);
  assert.equal(await ok(['exec', 'files', 'cat', '/vol/from-host']), 'in\n');
  await ok(['rm', '-f', '-v', 'files']);
  assert.deepEqual(hostState(eng.dataDir), before);
});

test('commit: the writable layer on top of the image, --change applied, the container paused meanwhile and running after', { skip }, async () => {
  await ok(['run', '-d', '--name', 'tocommit', 'busybox', 'sh', '-c', 'echo kept > /tmp/kept && rm /bin/zcat && touch /ready && sleep 1000']);
  for (let i = 0; i < 50 && (await eng.docker(['exec', 'tocommit', 'test', '-f', '/ready'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  const id = (await ok(['commit', '-c', 'ENV FROM_COMMIT=yes', '-c', 'CMD ["sh", "-c", "cat /tmp/kept; echo $FROM_COMMIT; ls /bin/zcat"]', 'tocommit', 'committed:v1'])).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  const run = await eng.docker(['run', '--rm', 'committed:v1']);
  assert.equal(run.stdout, 'kept\nyes\n');
  assert.match(run.stderr, /No such file or directory/);
  assert.equal((await ok(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'committed:v1'])).trim(), '2');
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}}', 'tocommit'])).trim(), 'running');
  // nothing changed: no layer added
  await ok(['create', '--name', 'untouched', 'busybox', 'true']);
  await ok(['commit', 'untouched', 'committed:empty']);
  assert.equal((await ok(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'committed:empty'])).trim(), '1');
  await ok(['rm', '-f', 'tocommit', 'untouched']);
  await ok(['rmi', 'committed:v1', 'committed:empty']);
});
