// The Dockerfile front end: directives, continuations, comments, heredocs, every instruction's
// argument forms, stages, and errors that name their line with upstream's messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, DockerfileError } from '../../../src/engine/build/parser.js';
import { parseDockerfile, parseGoDuration, formatGoDuration, findStage, parseTrigger } from '../../../src/engine/build/instructions.js';

const df = (s: string) => parseDockerfile(s);
const cmds = (s: string) => df(s).stages[0]!.commands;
const errOf = (s: string): DockerfileError => {
  try {
    df(s);
  } catch (e) {
    assert.ok(e instanceof DockerfileError, String(e));
    return e;
  }
  assert.fail('expected an error');
};

test('comments, blank lines and continuations; lines are counted', () => {
  const r = parse('# a comment\n\nFROM busybox\nRUN echo a \\\n  b \\\n# inside\n  c\n\nCMD x\n');
  assert.equal(r.nodes.length, 3);
  assert.equal(r.nodes[1]!.original, 'RUN echo a   b   c');
  assert.equal(r.nodes[1]!.startLine, 4);
  assert.equal(r.nodes[1]!.endLine, 7);
  assert.equal(r.nodes[2]!.startLine, 9);
});

test('escape directive: backtick continuation; syntax directive kept; directives only at the top', () => {
  const r = parse('# escape=`\n# syntax=docker/dockerfile:1\nFROM x\nRUN dir c:\\ `\n  /w\n');
  assert.equal(r.escapeToken, '`');
  assert.equal(r.syntax, 'docker/dockerfile:1');
  assert.equal(r.nodes[1]!.original, 'RUN dir c:\\   /w');
  const late = parse('FROM x\n# escape=`\nRUN a \\\n b\n');
  assert.equal(late.escapeToken, '\\');
  assert.equal(late.nodes[1]!.original, 'RUN a  b');
  assert.throws(() => parse('# escape=x\nFROM a\n'), /invalid escape token 'x' does not match ` or \\/);
  assert.throws(() => parse('# escape=`\n# escape=`\nFROM a\n'), /only one escape parser directive can be used/);
});

test('an escaped escape token at the end does not continue the line', () => {
  const r = parse('FROM x\nRUN echo \\\\\nCMD y\n');
  assert.equal(r.nodes.length, 3);
});

test('empty continuation lines warn', () => {
  const r = parse('FROM x\nRUN a \\\n\n  b\n');
  assert.match(r.warnings[0]!, /Empty continuation line found in/);
});

test('FROM with AS, --platform; stage names are lower-cased and validated', () => {
  const d = df('ARG V=1\nFROM --platform=linux/amd64 busybox:$V AS Build\nRUN x\nFROM scratch\nCOPY --from=build /a /b\n');
  assert.equal(d.metaArgs.length, 1);
  assert.equal(d.stages.length, 2);
  assert.equal(d.stages[0]!.name, 'build');
  assert.equal(d.stages[0]!.platform, 'linux/amd64');
  assert.equal(d.stages[0]!.baseName, 'busybox:$V');
  assert.equal(d.stages[0]!.code, 'FROM --platform=linux/amd64 busybox:$V AS Build');
  assert.equal(findStage(d.stages, 'BUILD'), 0);
  assert.equal(findStage(d.stages, '1'), 1);
  assert.equal(findStage(d.stages, 'nope'), -1);
  assert.equal(errOf('FROM a AS 1x\n').message, 'dockerfile parse error on line 1: invalid name for build stage: "1x", name can\'t start with a number or contain symbols');
  assert.equal(errOf('FROM a b\n').message, 'dockerfile parse error on line 1: FROM requires either one or three arguments');
});

test('RUN, CMD, ENTRYPOINT: shell and exec forms', () => {
  const c = cmds('FROM x\nRUN echo "a b"\nRUN ["echo", "a b"]\nCMD ["sh"]\nENTRYPOINT []\nCMD echo $HOME\n');
  assert.deepEqual(c[0], { code: 'RUN echo "a b"', line: 2, endLine: 2, kind: 'run', cmdLine: ['echo "a b"'], prependShell: true, files: [] });
  assert.deepEqual((c[1] as { cmdLine: string[] }).cmdLine, ['echo', 'a b']);
  assert.equal((c[1] as { prependShell: boolean }).prependShell, false);
  assert.deepEqual((c[2] as { cmdLine: string[] }).cmdLine, ['sh']);
  assert.equal((c[3] as { cmdLine: string[] | null }).cmdLine, null);
  assert.deepEqual((c[4] as { cmdLine: string[] }).cmdLine, ['echo $HOME']);
  assert.equal(errOf('FROM x\nRUN ["a", 1]\n').message, 'dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only');
  // not valid JSON: the shell form
  assert.deepEqual((cmds('FROM x\nRUN [oops\n')[0] as { cmdLine: string[] }).cmdLine, ['[oops']);
});

test('ENV and LABEL: both forms, quotes kept for expansion', () => {
  const c = cmds('FROM x\nENV A=1 B="two words" C=\nENV D four five\nLABEL "com.x"="y" z=1\n');
  assert.deepEqual((c[0] as { pairs: unknown }).pairs, [
    { key: 'A', value: '1', sep: '=' },
    { key: 'B', value: '"two words"', sep: '=' },
    { key: 'C', value: '', sep: '=' },
  ]);
  assert.deepEqual((c[1] as { pairs: unknown }).pairs, [{ key: 'D', value: 'four five', sep: '' }]);
  assert.deepEqual((c[2] as { pairs: unknown }).pairs, [
    { key: '"com.x"', value: '"y"', sep: '=' },
    { key: 'z', value: '1', sep: '=' },
  ]);
  assert.equal(errOf('FROM x\nENV A\n').message, 'dockerfile parse error on line 2: ENV must have two arguments');
  assert.equal(errOf('FROM x\nENV A=1 B\n').message, 'dockerfile parse error on line 2: Syntax error - can\'t find = in "B". Must be of the form: name=value');
  assert.equal(errOf('FROM x\nENV\n').message, 'dockerfile parse error on line 2: ENV requires at least one argument');
  assert.equal(errOf('FROM x\nLABEL =x\n').message, 'dockerfile parse error on line 2: LABEL names can not be blank');
});

test('COPY and ADD: flags, JSON form, destination rules', () => {
  const c = cmds('FROM x\nCOPY --from=build --chown=1:2 --chmod=0755 a b /dst/\nCOPY ["a b", "/c"]\nADD --chown=u x.tar /opt\n');
  assert.deepEqual(c[0], { code: 'COPY --from=build --chown=1:2 --chmod=0755 a b /dst/', line: 2, endLine: 2, kind: 'copy', srcs: ['a', 'b'], contents: [], dest: '/dst/', chown: '1:2', chmod: '0755', from: 'build', link: false });
  assert.deepEqual((c[1] as { srcs: string[] }).srcs, ['a b']);
  assert.equal((c[2] as { chown: string }).chown, 'u');
  assert.equal(errOf('FROM x\nCOPY a\n').message, 'dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined');
  assert.equal(errOf('FROM x\nCOPY --frm=a b c\n').message, 'dockerfile parse error on line 2: Unknown flag: frm');
  assert.equal(errOf('FROM x\nCOPY --from a b\n').message, 'dockerfile parse error on line 2: Missing a value on flag: from');
  assert.equal(errOf('FROM x\nCOPY --from=a --from=b c d\n').message, 'dockerfile parse error on line 2: Duplicate flag specified: from');
  assert.equal(errOf('FROM x\nADD --link=maybe a b\n').message, 'dockerfile parse error on line 2: Expecting boolean value for flag link, not: maybe');
  assert.equal(errOf('FROM x\nRUN --mount=type=cache,target=/x true\n').message, 'dockerfile parse error on line 2: Unknown flag: mount');
});

test('heredocs: RUN and COPY, quoted delimiters do not expand, <<- strips tabs', () => {
  const text = 'FROM x\nRUN <<EOF\necho hi\necho there\nEOF\nCOPY <<-"END" /greeting\n\thello $NAME\n\tEND\nRUN cat <<A && cat <<B\na\nA\nb\nB\nCMD ok\n';
  const c = cmds(text);
  assert.deepEqual((c[0] as { files: unknown }).files, [{ name: 'EOF', data: 'echo hi\necho there\n', chomp: false }]);
  assert.equal(c[0]!.line, 2);
  assert.equal(c[0]!.endLine, 5);
  assert.deepEqual((c[1] as { contents: unknown }).contents, [{ path: 'END', data: 'hello $NAME\n', expand: false }]);
  assert.deepEqual((c[2] as { files: { name: string }[] }).files.map((f) => f.name), ['A', 'B']);
  assert.equal(c[3]!.line, 14);
  assert.equal(errOf('FROM x\nRUN <<EOF\nno end\n').message, 'dockerfile parse error on line 2: unterminated heredoc');
  assert.equal(errOf('FROM x\nCOPY a <<EOF\nx\nEOF\n').message, 'dockerfile parse error on line 2: COPY cannot accept a heredoc as a destination');
  // exec form has no heredocs
  assert.deepEqual((cmds('FROM x\nRUN ["cat", "<<EOF"]\n')[0] as { files: unknown[] }).files, []);
});

test('HEALTHCHECK: NONE, CMD forms and options', () => {
  const c = cmds('FROM x\nHEALTHCHECK --interval=5m --timeout=3s --retries=3 CMD curl -f http://localhost/ || exit 1\nHEALTHCHECK NONE\nHEALTHCHECK CMD ["a", "b"]\n');
  assert.deepEqual((c[0] as { health: unknown }).health, { Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], Interval: 300e9, Timeout: 3e9, Retries: 3 });
  assert.deepEqual((c[1] as { health: unknown }).health, { Test: ['NONE'] });
  assert.deepEqual((c[2] as { health: unknown }).health, { Test: ['CMD', 'a', 'b'] });
  assert.equal(errOf('FROM x\nHEALTHCHECK NONE x\n').message, 'dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments');
  assert.equal(errOf('FROM x\nHEALTHCHECK FOO x\n').message, 'dockerfile parse error on line 2: Unknown type "FOO" in HEALTHCHECK (try CMD)');
  assert.equal(errOf('FROM x\nHEALTHCHECK --interval=1us CMD x\n').message, 'dockerfile parse error on line 2: Interval "interval" cannot be less than 1ms');
  assert.equal(errOf('FROM x\nHEALTHCHECK --retries=-1 CMD x\n').message, 'dockerfile parse error on line 2: --retries cannot be negative (-1)');
  assert.equal(errOf('FROM x\nHEALTHCHECK CMD\n').message, 'dockerfile parse error on line 2: Missing command after HEALTHCHECK CMD');
});

test('the remaining instructions and their argument counts', () => {
  const c = cmds('FROM x\nEXPOSE 80 443/udp\nUSER nobody\nVOLUME ["/a", "/b"]\nVOLUME /c /d\nWORKDIR /app\nSTOPSIGNAL SIGINT\nARG A B=2\nSHELL ["/bin/bash", "-c"]\nONBUILD RUN echo hi\nMAINTAINER me\n');
  assert.deepEqual(c.map((x) => x.kind), ['expose', 'user', 'volume', 'volume', 'workdir', 'stopsignal', 'arg', 'shell', 'onbuild', 'maintainer']);
  assert.deepEqual((c[0] as { ports: string[] }).ports, ['443/udp', '80']);
  assert.deepEqual((c[3] as { volumes: string[] }).volumes, ['/c', '/d']);
  assert.deepEqual((c[6] as { args: unknown }).args, [{ key: 'A' }, { key: 'B', value: '2' }]);
  assert.equal((c[8] as { expression: string }).expression, 'RUN echo hi');
  assert.equal(errOf('FROM x\nUSER\n').message, 'dockerfile parse error on line 2: USER requires exactly one argument');
  assert.equal(errOf('FROM x\nWORKDIR\n').message, 'dockerfile parse error on line 2: WORKDIR requires exactly one argument');
  assert.equal(errOf('FROM x\nSHELL /bin/bash -c\n').message, 'dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form');
  assert.equal(errOf('FROM x\nONBUILD ONBUILD RUN x\n').message, "dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  assert.equal(errOf('FROM x\nONBUILD FROM y\n').message, "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger");
  assert.equal(errOf('FROM x\nEXPOSE\n').message, 'dockerfile parse error on line 2: EXPOSE requires at least one argument');
  assert.equal(errOf('FROM x\nARG =1\n').message, 'dockerfile parse error on line 2: ARG names can not be blank');
  assert.equal(parseTrigger('RUN echo hi').kind, 'run');
});

test('errors name the line: unknown instructions (with a suggestion), no FROM, empty file', () => {
  assert.equal(errOf('FROM busybox\nRUN true\nFOO bar\n').message, 'dockerfile parse error on line 3: unknown instruction: FOO (did you mean FROM?)');
  assert.equal(errOf('FROM busybox\nXYZZY bar\n').message, 'dockerfile parse error on line 2: unknown instruction: XYZZY');
  assert.equal(errOf('FROM busybox\n\nRUNN true\n').message, 'dockerfile parse error on line 3: unknown instruction: RUNN (did you mean RUN?)');
  assert.equal(errOf('FROM busybox\ncopyy a b\n').message, 'dockerfile parse error on line 2: unknown instruction: copyy (did you mean copy?)');
  const e = errOf('# c\nRUN true\n');
  assert.equal(e.message, 'dockerfile parse error on line 2: no build stage in current context');
  assert.equal(e.line, 2);
  assert.equal(errOf('# only a comment\n\n').message, 'dockerfile parse error on line 2: file with no instructions');
});

test('instructions are case-insensitive', () => {
  const d = df('from busybox as B\nrun echo\nCoPy a b\n');
  assert.equal(d.stages[0]!.name, 'b');
  assert.deepEqual(d.stages[0]!.commands.map((c) => c.kind), ['run', 'copy']);
});

test('Go durations', () => {
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('1.5s'), 1.5e9);
  assert.equal(parseGoDuration('500ms'), 500e6);
  assert.throws(() => parseGoDuration('5'), /time: missing unit in duration "5"/);
  assert.throws(() => parseGoDuration('x'), /time: invalid duration "x"/);
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(300e9), '5m0s');
  assert.equal(formatGoDuration(3600e9), '1h0m0s');
  assert.equal(formatGoDuration(1.5e9), '1.5s');
  assert.equal(formatGoDuration(500e6), '500ms');
});
