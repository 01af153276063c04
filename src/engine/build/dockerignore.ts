// .dockerignore: reading the file and matching context paths against it, as moby/patternmatcher
// does (`*`, `?`, `[...]`, `**` across directories, `!` exceptions, later patterns win, a pattern
// matching a parent directory matches everything below it). Pure.
import { posix } from 'node:path';

export interface IgnorePattern {
  pattern: string;
  exclusion: boolean;
  re: RegExp;
}

/** ignorefile.ReadAll: comments and blank lines dropped, paths cleaned and made relative. */
export function readDockerignore(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    let p = raw.replace(/\r$/, '');
    if (p.startsWith('#')) continue;
    p = p.trim();
    if (p === '') continue;
    const invert = p[0] === '!';
    if (invert) p = p.slice(1).trim();
    if (p.length > 0) {
      p = posix.normalize(p);
      if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
      if (p.length > 1 && p[0] === '/') p = p.slice(1);
    }
    out.push(invert ? '!' + p : p);
  }
  return out;
}

const SPECIAL = new Set(['.', '+', '(', ')', '|', '{', '}', '$', '^']);

export class BadPatternError extends Error {}

/** The pattern as an anchored regular expression (patternmatcher's compile). */
export function compilePattern(pattern: string): RegExp {
  let re = '^';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) re += '.*';
        else re += '(.*/)?';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (SPECIAL.has(ch)) re += '\\' + ch;
    else if (ch === '\\') {
      if (i + 1 >= chars.length) throw new BadPatternError('syntax error in pattern');
      re += '\\' + chars[++i]!;
    } else if (ch === '[') {
      const end = chars.indexOf(']', i + 1);
      if (end < 0) throw new BadPatternError('syntax error in pattern');
      let cls = chars.slice(i + 1, end).join('');
      if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += `[${cls}]`;
      i = end;
    } else re += ch;
  }
  return new RegExp(re + '$', 's');
}

export class PatternMatcher {
  readonly patterns: IgnorePattern[];

  constructor(patterns: readonly string[]) {
    this.patterns = [];
    for (const raw of patterns) {
      let p = raw.trim();
      if (p === '') continue;
      p = posix.normalize(p);
      const exclusion = p[0] === '!';
      if (exclusion) {
        p = p.slice(1);
        if (p === '') throw new BadPatternError('illegal exclusion pattern: "!"');
      }
      this.patterns.push({ pattern: p, exclusion, re: compilePattern(p) });
    }
  }

  get exclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** MatchesOrParentMatches: is this context path (slash-separated, relative) excluded? */
  matches(file: string): boolean {
    let matched = false;
    const parent = posix.dirname(file);
    const parentDirs = parent.split('/');
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let m = p.re.test(file);
      if (!m && parent !== '.') {
        for (let i = 0; i < parentDirs.length; i++) {
          if (p.re.test(parentDirs.slice(0, i + 1).join('/'))) {
            m = true;
            break;
          }
        }
      }
      if (m) matched = !p.exclusion;
    }
    return matched;
  }
}
