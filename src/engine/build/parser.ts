// The Dockerfile parser, as buildkit's frontend/dockerfile/parser reads a file: parser directives
// (syntax, escape), comments, line continuations, per-instruction argument forms (JSON arrays,
// whitespace lists, key=value pairs, ONBUILD sub-instructions) and heredocs. Pure; every error
// carries the line it is about.
import { Lex } from './lex.js';

export interface Heredoc {
  name: string;
  fileDescriptor: number;
  /** variables are expanded in the content unless the delimiter was quoted */
  expand: boolean;
  /** `<<-`: leading tabs are stripped */
  chomp: boolean;
  content: string;
}

export interface KeyValue {
  key: string;
  value: string;
  /** "=" for the `k=v` form, "" for the legacy `KEY name value` form */
  sep: string;
}

export interface Node {
  /** the instruction word as written */
  cmd: string;
  /** the logical line (continuations joined), for "Step n/m : ..." */
  original: string;
  /** builder flags (`--from=x`), raw */
  flags: string[];
  /** the arguments after the instruction's own parsing rule */
  args: string[];
  /** ENV and LABEL: their pairs */
  pairs?: KeyValue[];
  /** the arguments were a JSON array */
  json: boolean;
  heredocs: Heredoc[];
  /** ONBUILD: the trigger instruction */
  sub?: Node;
  startLine: number;
  endLine: number;
}

export interface ParseResult {
  nodes: Node[];
  escapeToken: string;
  warnings: string[];
  /** the `# syntax=` directive, when given */
  syntax?: string;
}

export class DockerfileError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly endLine = line,
  ) {
    super(message);
    this.name = 'DockerfileError';
  }
}

const RE_DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const RE_HEREDOC = /^(\d*)<<(-?)([^<]*)$/;
const WS = /[\t\v\f\r ]+/;
const HEREDOC_CMDS = new Set(['add', 'copy', 'run']);

type LineParser = (rest: string, escape: string) => { args: string[]; json?: boolean; pairs?: KeyValue[] };

class Directives {
  escape = '\\';
  continuation = makeContinuation('\\');
  done = false;
  seen = new Set<string>();
  syntax: string | undefined;

  possible(line: string): void {
    if (this.done) return;
    const m = RE_DIRECTIVE.exec(line);
    if (!m) {
      this.done = true;
      return;
    }
    const k = m[1]!.toLowerCase();
    if (k !== 'escape' && k !== 'syntax') {
      this.done = true;
      return;
    }
    if (this.seen.has(k)) throw new Error(`only one ${k} parser directive can be used`);
    this.seen.add(k);
    if (k === 'escape') {
      const s = m[2]!;
      if (s !== '`' && s !== '\\') throw new Error(`invalid escape token '${s}' does not match \` or \\`);
      this.escape = s;
      this.continuation = makeContinuation(s);
    } else this.syntax = m[2]!;
  }
}

/** The escape token as the last non-blank character continues the line, unless itself escaped. */
function makeContinuation(tok: string): RegExp {
  const t = tok === '\\' ? '\\\\' : tok;
  return new RegExp(`([^${t}])${t}[ \\t]*$|^${t}[ \\t]*$`);
}

/** Words as parseWords splits them: quotes are kept (processed later), the escape token too. */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let w = '';
  const chars = [...rest];
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = chars[pos] ?? '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (/\s/.test(ch)) continue;
      phase = 'word';
    }
    if (pos === chars.length) {
      if (blankOK || w.length > 0) words.push(w);
      break;
    }
    if (phase === 'word') {
      if (/\s/.test(ch)) {
        phase = 'spaces';
        if (blankOK || w.length > 0) words.push(w);
        w = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        w += ch;
        pos++;
        ch = chars[pos]!;
      }
      w += ch;
      continue;
    }
    // in a quote
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      w += ch;
      ch = chars[pos]!;
    }
    w += ch;
  }
  return words;
}

const NOT_STRINGS = 'when using JSON array syntax, arrays must be comprised of strings only';

function parseJSON(rest: string): string[] | undefined {
  const r = rest.trimStart();
  if (!r.startsWith('[')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(r);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  if (!v.every((x) => typeof x === 'string')) throw new Error(NOT_STRINGS);
  return v as string[];
}

const whitespaceList: LineParser = (rest) => ({ args: rest === '' ? [] : rest.split(WS) });
const maybeJSON: LineParser = (rest) => {
  if (rest === '') return { args: [] };
  const j = parseJSON(rest);
  return j ? { args: j, json: true } : { args: [rest] };
};
const maybeJSONToList: LineParser = (rest, e) => {
  const j = parseJSON(rest);
  return j ? { args: j, json: true } : whitespaceList(rest, e);
};
const single: LineParser = (rest) => ({ args: rest === '' ? [] : [rest] });
const nameOrNameVal: LineParser = (rest, e) => ({ args: parseWords(rest, e) });

function nameVal(key: string): LineParser {
  return (rest, e) => {
    const words = parseWords(rest, e);
    if (words.length === 0) return { args: [], pairs: [] };
    if (!words[0]!.includes('=')) {
      const parts = rest.split(WS);
      if (parts.length < 2) throw new Error(`${key} must have two arguments`);
      const value = rest.slice(parts[0]!.length).replace(/^[\t\v\f\r ]+/, '');
      return { args: [parts[0]!, value], pairs: [{ key: parts[0]!, value, sep: '' }] };
    }
    const pairs: KeyValue[] = [];
    for (const word of words) {
      const i = word.indexOf('=');
      if (i < 0) throw new Error(`Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`);
      pairs.push({ key: word.slice(0, i), value: word.slice(i + 1), sep: '=' });
    }
    return { args: pairs.flatMap((p) => [p.key, p.value]), pairs };
  };
}

const healthConfig: LineParser = (rest, e) => {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
  if (!m) return { args: [] };
  const r = maybeJSON(m[2]!, e);
  return { args: [m[1]!, ...r.args], ...(r.json ? { json: true } : {}) };
};

const DISPATCH: Record<string, LineParser> = {
  add: maybeJSONToList,
  arg: nameOrNameVal,
  cmd: maybeJSON,
  copy: maybeJSONToList,
  entrypoint: maybeJSON,
  env: nameVal('ENV'),
  expose: whitespaceList,
  from: whitespaceList,
  healthcheck: healthConfig,
  label: nameVal('LABEL'),
  maintainer: single,
  run: maybeJSON,
  shell: maybeJSON,
  stopsignal: single,
  user: single,
  volume: maybeJSONToList,
  workdir: single,
};

export const INSTRUCTIONS = [...Object.keys(DISPATCH), 'onbuild'].sort();

/** Go's %q for plain strings (what upstream's messages quote with). */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u([0-9a-f]{4})/g, (_, h: string) => `\\u${h}`);
}

/** Leading `--flags`, as extractBuilderFlags splits them off the arguments. */
function extractFlags(line: string): { rest: string; flags: string[] } {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let w = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    let ch = line[pos] ?? '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (/\s/.test(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return { rest: line.slice(pos), flags: words };
      phase = 'word';
    }
    if (pos === line.length) {
      if (w !== '--' && (blankOK || w.length > 0)) words.push(w);
      break;
    }
    if (phase === 'word') {
      if (/\s/.test(ch)) {
        phase = 'spaces';
        if (w === '--') return { rest: line.slice(pos), flags: words };
        if (blankOK || w.length > 0) words.push(w);
        w = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) continue;
        pos++;
        ch = line[pos]!;
      }
      w += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      pos++;
      ch = line[pos]!;
    }
    w += ch;
  }
  return { rest: '', flags: words };
}

function nodeFromLine(line: string, escape: string): Node {
  const trimmed = line.trim();
  const sp = trimmed.search(/\s/);
  const cmd = sp < 0 ? trimmed : trimmed.slice(0, sp);
  let flags: string[] = [];
  let rest = '';
  if (sp >= 0) {
    const f = extractFlags(trimmed.slice(sp).replace(/^\s+/, ''));
    flags = f.flags;
    rest = f.rest.trim();
  }
  const lower = cmd.toLowerCase();
  const node: Node = { cmd, original: line, flags, args: [], json: false, heredocs: [], startLine: 0, endLine: 0 };
  if (lower === 'onbuild') {
    if (rest !== '') {
      node.sub = nodeFromLine(rest, escape);
      node.args = [node.sub.cmd, ...node.sub.args];
    }
    return node;
  }
  const fn = DISPATCH[lower];
  if (!fn) return node; // unknown: reported with its line when the instructions are read
  const r = fn(rest, escape);
  node.args = r.args;
  if (r.json) node.json = true;
  if (r.pairs) node.pairs = r.pairs;
  return node;
}

function canContainHeredoc(n: Node): boolean {
  const target = n.cmd.toLowerCase() === 'onbuild' && n.sub ? n.sub : n;
  return HEREDOC_CMDS.has(target.cmd.toLowerCase()) && !target.json;
}

/** A heredoc word (`<<EOF`, `<<-"EOF"`, `3<<EOF`), or undefined. */
export function parseHeredoc(src: string): Heredoc | undefined {
  const m = RE_HEREDOC.exec(src);
  if (!m) return undefined;
  const rest = m[3]!;
  if (rest.length === 0) return undefined;
  const words = new Lex('\\', { skipUnsetEnv: true }).processWords(rest, []);
  if (words.length !== 1) return undefined;
  const raw = new Lex('\\', { skipUnsetEnv: true, rawQuotes: true }).processWords(rest, []);
  const word = words[0]!;
  const quotes = (s: string) => (s.match(/['"]/g) ?? []).length;
  return { name: word, fileDescriptor: Number(m[1] || 0), expand: quotes(word) === quotes(raw[0]!), chomp: m[2] === '-', content: '' };
}

function heredocsFromLine(line: string): Heredoc[] {
  let words: string[];
  try {
    words = new Lex('\\', { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).processWords(line, []);
  } catch {
    words = [];
  }
  return words.map(parseHeredoc).filter((h): h is Heredoc => !!h);
}

export const chompHeredoc = (s: string) => s.replace(/^\t+/gm, '');

/** Splits text into lines that keep their line endings (scanLines). */
function scanLines(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const j = text.indexOf('\n', i);
    if (j < 0) {
      out.push(text.slice(i));
      break;
    }
    out.push(text.slice(i, j + 1));
    i = j + 1;
  }
  return out;
}

const trimNewline = (s: string) => s.replace(/[\r\n]+$/, '');
const isComment = (s: string) => /^#/.test(trimNewline(s).replace(/^\s+/, ''));

export function parse(text: string): ParseResult {
  const d = new Directives();
  const lines = scanLines(text.startsWith('\uFEFF') ? text.slice(1) : text);
  const nodes: Node[] = [];
  const warnings: string[] = [];
  let current = 0;
  let i = 0;
  const at = (e: unknown, line: number, end = line): DockerfileError => (e instanceof DockerfileError ? e : new DockerfileError((e as Error).message, line, end));
  const processLine = (raw: string, stripLeft: boolean): string => {
    let t = trimNewline(raw);
    if (stripLeft) t = t.replace(/^\s+/, '');
    try {
      d.possible(t);
    } catch (e) {
      throw at(e, current);
    }
    return t.replace(/^#.*$/, '');
  };
  while (i < lines.length) {
    const raw = lines[i++]!;
    let bytes = processLine(raw, true);
    current++;
    const startLine = current;
    let cont = trimContinuation(bytes, d);
    let line = cont.line;
    if (cont.end && line === '') continue;
    let emptyContinuation = false;
    while (!cont.end && i < lines.length) {
      const nraw = lines[i++]!;
      bytes = processLine(nraw, false);
      current++;
      if (isComment(nraw)) continue;
      if (trimNewline(bytes).replace(/^\s+/, '') === '') {
        emptyContinuation = true;
        continue;
      }
      cont = trimContinuation(bytes, d);
      line += cont.line;
    }
    if (emptyContinuation) warnings.push(`[WARNING]: Empty continuation line found in:\n    ${line}`);
    let node: Node;
    try {
      node = nodeFromLine(line, d.escape);
    } catch (e) {
      throw at(e, startLine, current);
    }
    if (canContainHeredoc(node)) {
      for (const h of heredocsFromLine(line)) {
        let terminated = false;
        while (i < lines.length) {
          const l = lines[i++]!;
          current++;
          let candidate = trimNewline(l);
          if (h.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === h.name) {
            terminated = true;
            break;
          }
          h.content += l;
        }
        if (!terminated) throw new DockerfileError('unterminated heredoc', startLine, current);
        node.heredocs.push(h);
      }
      if (node.sub) node.sub.heredocs = node.heredocs;
    }
    node.startLine = startLine;
    node.endLine = current;
    nodes.push(node);
  }
  if (warnings.length > 0) warnings.push('[WARNING]: Empty continuation lines will become errors in a future release.');
  if (nodes.length === 0) throw new DockerfileError('file with no instructions', current);
  const out: ParseResult = { nodes, escapeToken: d.escape, warnings };
  if (d.syntax !== undefined) out.syntax = d.syntax;
  return out;
}

function trimContinuation(line: string, d: Directives): { line: string; end: boolean } {
  if (d.continuation.test(line)) return { line: line.replace(d.continuation, '$1'), end: false };
  return { line, end: true };
}
