// Shell-like word processing of Dockerfile arguments, as buildkit's frontend/dockerfile/shell does
// it: quotes, the escape token, and variable substitution ($x, ${x}, ${x:-w}, ${x-w}, ${x:+w},
// ${x+w}, ${x:?e}, ${x?e}, ${x#p}, ${x##p}, ${x%p}, ${x%%p}). Pure.

export interface LexOptions {
  /** keep quote characters in the output (heredoc detection needs them) */
  rawQuotes?: boolean;
  /** keep the escape token in the output */
  rawEscapes?: boolean;
  /** leave `$name` of an unset variable as written */
  skipUnsetEnv?: boolean;
}

export class LexError extends Error {}

const EOF = '';

/** The environment as a map: the first occurrence of a name wins, as buildEnvs has it. */
export function envMap(env: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env) {
    const i = e.indexOf('=');
    const k = i < 0 ? e : e.slice(0, i);
    if (m.has(k)) continue;
    m.set(k, i < 0 ? '' : e.slice(i + 1));
  }
  return m;
}

class Words {
  word = '';
  words: string[] = [];
  inWord = false;
  addChar(ch: string): void {
    if (/\s/.test(ch)) {
      if (this.inWord && this.word.length) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else this.addRawChar(ch);
  }
  addRawChar(ch: string): void {
    this.word += ch;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  addRawString(s: string): void {
    this.word += s;
    this.inWord = true;
  }
  get(): string[] {
    if (this.word.length) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class Scanner {
  private readonly chars: string[];
  private pos = 0;
  constructor(s: string) {
    this.chars = [...s];
  }
  peek(): string {
    return this.chars[this.pos] ?? EOF;
  }
  next(): string {
    return this.chars[this.pos++] ?? EOF;
  }
}

/** Glob of `${x#pattern}` and friends: `*`, `?`, `[...]`, escapes, as path.Match-like shell patterns. */
function patternRegex(p: string, escapeToken: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === escapeToken && i + 1 < p.length) out += escapeRe(p[++i]!);
    else if (c === '*') out += '.*?';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        let cls = p.slice(i + 1, end);
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        out += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += escapeRe(c);
  }
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

class ShellWord {
  private readonly sc: Scanner;
  constructor(
    source: string,
    private readonly env: Map<string, string>,
    private readonly escapeToken: string,
    private readonly opts: LexOptions,
  ) {
    this.sc = new Scanner(source);
  }

  process(): { word: string; words: string[] } {
    return this.processStopOn(EOF);
  }

  private processStopOn(stop: string): { word: string; words: string[] } {
    let result = '';
    const words = new Words();
    while (this.sc.peek() !== EOF) {
      const ch = this.sc.peek();
      if (stop !== EOF && ch === stop) {
        this.sc.next();
        return { word: result, words: words.get() };
      }
      if (ch === "'" || ch === '"' || ch === '$') {
        const tmp = ch === "'" ? this.singleQuote() : ch === '"' ? this.doubleQuote() : this.dollar();
        result += tmp;
        if (ch === '$') words.addString(tmp);
        else words.addRawString(tmp);
        continue;
      }
      let c = this.sc.next();
      if (c === this.escapeToken) {
        if (this.opts.rawEscapes) {
          words.addRawChar(c);
          result += c;
        }
        c = this.sc.next();
        if (c === EOF) break;
        words.addRawChar(c);
      } else words.addChar(c);
      result += c;
    }
    if (stop !== EOF) throw new LexError(`unexpected end of statement while looking for matching ${stop}`);
    return { word: result, words: words.get() };
  }

  private singleQuote(): string {
    let out = '';
    this.sc.next();
    if (this.opts.rawQuotes) out += "'";
    for (;;) {
      const ch = this.sc.next();
      if (ch === EOF) throw new LexError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.opts.rawQuotes) out += "'";
        return out;
      }
      out += ch;
    }
  }

  private doubleQuote(): string {
    let out = '';
    this.sc.next();
    if (this.opts.rawQuotes) out += '"';
    for (;;) {
      const p = this.sc.peek();
      if (p === EOF) throw new LexError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        this.sc.next();
        if (this.opts.rawQuotes) out += '"';
        return out;
      }
      if (p === '$') {
        out += this.dollar();
        continue;
      }
      let ch = this.sc.next();
      if (ch === this.escapeToken) {
        const n = this.sc.peek();
        if (n === EOF) continue; // a lone escape at the end is dropped
        if (n === '"' || n === '$' || n === this.escapeToken) {
          if (this.opts.rawEscapes) out += ch;
          ch = this.sc.next();
        }
      }
      out += ch;
    }
  }

  private lookup(name: string): string | undefined {
    return this.env.get(name);
  }

  private dollar(): string {
    this.sc.next();
    if (this.sc.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      const v = this.lookup(name);
      if (v === undefined && this.opts.skipUnsetEnv) return '$' + name;
      return v ?? '';
    }
    this.sc.next();
    const first = this.sc.peek();
    if (first === EOF) throw new LexError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new LexError('syntax error: bad substitution');
    const name = this.name();
    const ch = this.sc.next();
    if (ch === EOF) throw new LexError("syntax error: missing '}'");
    const value = this.lookup(name);
    if (ch === '}') {
      if (value === undefined && this.opts.skipUnsetEnv) return '${' + name + '}';
      return value ?? '';
    }
    if (ch === ':' || ch === '-' || ch === '+' || ch === '?' || ch === '#' || ch === '%') {
      let colon = false;
      let mod = ch;
      if (ch === ':') {
        colon = true;
        mod = this.sc.next();
      }
      let longest = false;
      if ((mod === '#' || mod === '%') && !colon && this.sc.peek() === mod) {
        this.sc.next();
        longest = true;
      }
      let word: string;
      try {
        word = this.processStopOn('}').word;
      } catch (e) {
        if (this.sc.peek() === EOF) throw new LexError("syntax error: missing '}'");
        throw e;
      }
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      switch (mod) {
        case '-':
          return (colon ? nonEmpty : set) ? value! : word;
        case '+':
          return (colon ? nonEmpty : set) ? word : '';
        case '?':
          if (!(colon ? nonEmpty : set)) {
            const msg = word || (colon && set ? 'is not allowed to be empty' : 'is not allowed to be unset');
            throw new LexError(`${name}: ${msg}`);
          }
          return value!;
        case '#':
        case '%': {
          if (colon) throw new LexError(`unsupported modifier (${mod}) in substitution`);
          const v = value ?? '';
          const re = patternRegex(word, this.escapeToken);
          if (mod === '#') {
            const m = new RegExp(`^(${longest ? re.replace(/\.\*\?/g, '.*') : re})`, 's').exec(v);
            return m ? v.slice(m[1]!.length) : v;
          }
          // suffix: try each start position; longest takes the first match from the left
          const starts = [...Array(v.length + 1).keys()];
          if (!longest) starts.reverse();
          for (const i of starts) if (new RegExp(`^(?:${re.replace(/\.\*\?/g, '.*')})$`, 's').test(v.slice(i))) return v.slice(0, i);
          return v;
        }
        default:
          throw new LexError(`unsupported modifier (${mod}) in substitution`);
      }
    }
    throw new LexError("missing ':' in substitution");
  }

  private name(): string {
    let name = '';
    while (this.sc.peek() !== EOF) {
      const ch = this.sc.peek();
      if (name.length === 0 && /\d/.test(ch)) {
        while (this.sc.peek() !== EOF && /\d/.test(this.sc.peek())) name += this.sc.next();
        return name;
      }
      if (name.length === 0 && '@*#?-$!0'.includes(ch)) return this.sc.next();
      if (!/[\p{L}\p{N}_]/u.test(ch)) break;
      name += this.sc.next();
    }
    return name;
  }
}

export class Lex {
  constructor(
    readonly escapeToken = '\\',
    readonly opts: LexOptions = {},
  ) {}

  private run(word: string, env: Map<string, string> | readonly string[]): { word: string; words: string[] } {
    const m = env instanceof Map ? env : envMap(env);
    try {
      return new ShellWord(word, m, this.escapeToken, this.opts).process();
    } catch (e) {
      if (e instanceof LexError) throw new LexError(`failed to process ${JSON.stringify(word)}: ${e.message}`);
      throw e;
    }
  }

  /** Substitutes variables and removes quotes; spaces between words are kept. */
  processWord(word: string, env: Map<string, string> | readonly string[]): string {
    return this.run(word, env).word;
  }

  /** As processWord, then split into words (after substitution), honouring quotes. */
  processWords(word: string, env: Map<string, string> | readonly string[]): string[] {
    return this.run(word, env).words;
  }
}
