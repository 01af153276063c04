// The pure dispatch rules: build-argument scoping, which words expand, how metadata instructions
// change the config, and the history text the classic builder records for each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuildArgs, applyMetadata, beginStageConfig, expand, expansionEnv, exposedPorts, healthcheckComment, normalizeWorkdir, prependEnvOnCmd, resolveCmdLine } from '../../../src/engine/build/dispatch.js';
import { parseDockerfile, type Instruction } from '../../../src/engine/build/instructions.js';
import { normalizeDest } from '../../../src/engine/build/builder.js';

const ins = (line: string): Instruction => parseDockerfile(`FROM x\n${line}\n`).stages[0]!.commands[0]!;

test('build args: defaults, --build-arg overrides, meta args inherited by a bare ARG, proxies built in', () => {
  const root = new BuildArgs(new Map<string, string | null>([['V', 'cli'], ['HTTP_PROXY', 'http://p'], ['NOVAL', null]]));
  root.addArg('BASE', 'busybox');
  root.addMetaArg('BASE', 'busybox');
  root.addArg('V', 'meta');
  root.addMetaArg('V', 'meta');
  assert.deepEqual(Object.fromEntries(root.allMeta()), { BASE: 'busybox', V: 'cli' });
  const stage = root.forStage();
  assert.deepEqual(Object.fromEntries(stage.allAllowed()), { HTTP_PROXY: 'http://p' }, 'a stage starts with no declared args');
  stage.addArg('BASE', undefined);
  stage.addArg('OWN', 'd');
  stage.addArg('NOVAL', undefined);
  assert.deepEqual(Object.fromEntries(stage.allAllowed()), { HTTP_PROXY: 'http://p', BASE: 'busybox', OWN: 'd' });
  // the env wins over an arg of the same name; the rest sorted
  assert.deepEqual(stage.filterAllowed(['OWN=env']), ['BASE=busybox', 'HTTP_PROXY=http://p']);
  // an undeclared proxy arg is not part of a RUN's key
  assert.deepEqual(prependEnvOnCmd(stage, stage.filterAllowed([]), ['/bin/sh', '-c', 'x']), ['|2', 'BASE=busybox', 'OWN=d', '/bin/sh', '-c', 'x']);
  assert.equal(root.unusedWarning(new Set(['V', 'BASE'])), '[Warning] One or more build-args [NOVAL] were not consumed\n');
});

test('expansion: which instructions expand, against Env then args', () => {
  const args = new BuildArgs(new Map());
  args.addArg('A', 'arg');
  args.addArg('E', 'arg');
  const env = expansionEnv({ Env: ['E=env', 'P=/p'] }, args);
  const e = (line: string) => expand(ins(line), env, '\\');
  assert.deepEqual((e('ENV X=$E Y=${A}') as { pairs: unknown }).pairs, [{ key: 'X', value: 'env', sep: '=' }, { key: 'Y', value: 'arg', sep: '=' }]);
  assert.equal((e('WORKDIR $P/w') as { path: string }).path, '/p/w');
  assert.deepEqual((e('COPY --chown=$A $P/a ${P}/b/') as { srcs: string[]; chown: string; dest: string }).srcs, ['/p/a']);
  assert.equal((e('USER $A') as { user: string }).user, 'arg');
  assert.deepEqual((e('VOLUME $P') as { volumes: string[] }).volumes, ['/p']);
  assert.equal((e('LABEL "k"="$A"') as { pairs: { value: string }[] }).pairs[0]!.value, 'arg');
  // RUN and CMD are left to the shell
  assert.deepEqual((e('RUN echo $A') as { cmdLine: string[] }).cmdLine, ['echo $A']);
  // EXPOSE is the one instruction where a variable becomes several words
  const many = expand(ins('EXPOSE $PORTS'), ['PORTS=80 443'], '\\') as { ports: string[] };
  assert.deepEqual(many.ports, ['80', '443']);
  assert.deepEqual((e('ENV Q="a\\"b" R=\'$A\'') as { pairs: { value: string }[] }).pairs.map((p) => p.value), ['a"b', '$A']);
});

test('metadata instructions: config changes and history text', () => {
  const st = { cmdSet: false, args: new BuildArgs(new Map()) };
  const base = beginStageConfig({ Env: ['HOME=/root'], Cmd: ['sh'] });
  assert.deepEqual(base.Env, ['HOME=/root', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  const env = applyMetadata(ins('ENV HOME=/h A=1'), base, st);
  assert.deepEqual(env.config.Env, ['HOME=/h', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1']);
  assert.equal(env.createdBy, '/bin/sh -c #(nop)  ENV HOME=/h A=1');
  const cmd = applyMetadata(ins('CMD echo hi'), base, st);
  assert.deepEqual(cmd.config.Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.equal(cmd.createdBy, '/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "echo hi"]');
  const ep = applyMetadata(ins('ENTRYPOINT ["/e"]'), base, st);
  assert.deepEqual(ep.config.Entrypoint, ['/e']);
  assert.equal(ep.config.Cmd, null, 'an ENTRYPOINT clears an inherited CMD');
  const ep2 = applyMetadata(ins('ENTRYPOINT ["/e"]'), base, { ...st, cmdSet: true });
  assert.deepEqual(ep2.config.Cmd, ['sh'], 'but not one set in this Dockerfile');
  const sh = applyMetadata(ins('SHELL ["/bin/bash", "-o", "pipefail", "-c"]'), base, st);
  assert.equal(sh.createdBy, '/bin/bash -o pipefail -c #(nop)  SHELL [/bin/bash -o pipefail -c]');
  assert.deepEqual(resolveCmdLine(['x'], true, sh.config), ['/bin/bash', '-o', 'pipefail', '-c', 'x']);
  assert.equal(applyMetadata(ins('VOLUME /a /b'), base, st).createdBy, '/bin/sh -c #(nop)  VOLUME [/a /b]');
  assert.equal(applyMetadata(ins('ONBUILD RUN x'), base, st).config.OnBuild![0], 'RUN x');
  assert.throws(() => applyMetadata(ins('STOPSIGNAL SIGNOPE'), base, st), /Invalid signal: SIGNOPE/);
  const argState = { cmdSet: false, args: new BuildArgs(new Map([['B', 'cli']])) };
  assert.equal(applyMetadata(ins('ARG A=1 B'), base, argState).createdBy, '/bin/sh -c #(nop)  ARG A=1 B');
  assert.deepEqual(Object.fromEntries(argState.args.allAllowed()), { A: '1', B: 'cli' });
  const hc = applyMetadata(ins('HEALTHCHECK --interval=5m --timeout=3s CMD curl -f http://localhost/ || exit 1'), base, st);
  assert.equal(hc.signature, `HEALTHCHECK &{["CMD-SHELL" "curl -f http://localhost/ || exit 1"] "5m0s" "3s" "0s" "0s" '\\x00'}`);
  assert.equal(healthcheckComment({ Test: ['NONE'] }), `HEALTHCHECK &{["NONE"] "0s" "0s" "0s" "0s" '\\x00'}`);
  assert.match(applyMetadata(ins('HEALTHCHECK NONE'), hc.config, st).note!, /Note: overriding previous HEALTHCHECK: \[CMD-SHELL curl/);
});

test('EXPOSE ports, WORKDIR and COPY destinations', () => {
  assert.deepEqual(exposedPorts(['80', '53/udp', '8000-8002/tcp']), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
  assert.throws(() => exposedPorts(['abc']), /invalid containerPort: abc/);
  assert.throws(() => exposedPorts(['80/xyz']), /invalid proto: xyz/);
  assert.equal(normalizeWorkdir('', 'app'), '/app');
  assert.equal(normalizeWorkdir('/a', 'b/../c'), '/a/c');
  assert.equal(normalizeWorkdir('/a', '/x/'), '/x');
  assert.equal(normalizeDest('/app', '.'), '/app');
  assert.equal(normalizeDest('/app', './'), '/app/');
  assert.equal(normalizeDest('', 'x/'), '/x/');
  assert.equal(normalizeDest('/w', '/abs'), '/abs');
});
