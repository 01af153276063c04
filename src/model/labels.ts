// Label selectors: the string syntax of `kubectl -l` and `?labelSelector=` (parsed as upstream's
// labels.Parse, with its error texts), metav1.LabelSelector conversion, matching, and printing.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { aggregate, FieldError, FieldPath, fieldErrors, GoRepr, textOf } from './field.js';
import { isQualifiedName, isValidLabelValue } from './validation/strings.js';

export { isQualifiedName as labelKeyErrors, isValidLabelValue as labelValueErrors };

/** selection.Operator values. */
export type Operator = '!' | '=' | '==' | 'in' | '!=' | 'notin' | 'exists' | 'gt' | 'lt';

const binaryOperators: Operator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];
const unaryOperators: Operator[] = ['exists', '!'];
const validOperators = [...binaryOperators, ...unaryOperators];

export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: readonly string[];
}

/** A conjunction of requirements; `nothing` matches no label set (a nil metav1.LabelSelector). */
export interface Selector {
  readonly requirements: readonly Requirement[];
  readonly nothing?: true;
}

export const everything: Selector = Object.freeze({ requirements: Object.freeze([]) });
export const nothing: Selector = Object.freeze({ requirements: Object.freeze([]), nothing: true as const });

export type Labels = Readonly<Record<string, string>>;

/** A selector string or LabelSelector that cannot be used; the message is upstream's. */
export class SelectorError extends Error {
  constructor(
    message: string,
    readonly errors: readonly FieldError[] = [],
  ) {
    super(message);
    this.name = 'SelectorError';
  }
}

const goStrings = (vs: readonly string[]) =>
  new GoRepr(`[]string{${vs.map((v) => JSON.stringify(v)).join(', ')}}`);

function keyError(key: string, path: FieldPath | string): FieldError | undefined {
  const errs = isQualifiedName(key);
  return errs.length ? fieldErrors.invalid(path, key, errs.join('; ')) : undefined;
}

const GO_INT64 = /^[+-]?[0-9]+$/;
function parseInt64(s: string): bigint | undefined {
  if (!GO_INT64.test(s)) return undefined;
  const v = BigInt(s);
  return v > (1n << 63n) - 1n || v < -(1n << 63n) ? undefined : v;
}

/**
 * NewRequirement: checks the key, the operator and the values as upstream does; the error's
 * message is the aggregate of the field errors (paths relative to the requirement).
 */
export function newRequirement(key: string, operator: string, values: readonly string[], path?: FieldPath): Requirement {
  const at = (name: string) => (path ? path.child(name) : FieldPath.root(name));
  const errs: FieldError[] = [];
  const ke = keyError(key, at('key'));
  if (ke) errs.push(ke);
  const valuePath = at('values');
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(fieldErrors.invalid(valuePath, goStrings(values), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(fieldErrors.invalid(valuePath, goStrings(values), 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(fieldErrors.invalid(valuePath, goStrings(values), 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(fieldErrors.invalid(valuePath, goStrings(values), "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(fieldErrors.invalid(valuePath.index(i), v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(fieldErrors.notSupported(at('operator'), operator, validOperators));
  }
  values.forEach((v, i) => {
    const ve = isValidLabelValue(v);
    if (ve.length) errs.push(fieldErrors.invalid(valuePath.index(i).key(key), v, ve.join('; ')));
  });
  if (errs.length) throw new SelectorError(aggregate(errs), errs);
  return { key, operator: operator as Operator, values: [...values] };
}

export function requirementMatches(r: Requirement, labels: Labels | undefined): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const val = has ? labels![r.key]! : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && (r.values.length === 1 ? r.values[0] === val : r.values.includes(val!));
    case 'notin':
    case '!=':
      return !has || !r.values.includes(val!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const lv = parseInt64(val!);
      const rv = parseInt64(r.values[0]!);
      if (lv === undefined || rv === undefined) return false;
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

export function matches(selector: Selector, labels: Labels | undefined): boolean {
  if (selector.nothing) return false;
  // A plain loop: controllers match every pod of a set against it on every sync.
  const reqs = selector.requirements;
  for (let i = 0; i < reqs.length; i++) if (!requirementMatches(reqs[i]!, labels)) return false;
  return true;
}

/** True when the selector does not restrict the selection (nothing is not empty). */
export function isEmpty(selector: Selector): boolean {
  return !selector.nothing && selector.requirements.length === 0;
}

// Go's sort.Strings on UTF-8 bytes orders like code points, not UTF-16 units.
const byteOrder = (a: string, b: string) => {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
};

export function requirementToString(r: Requirement): string {
  let s = r.operator === '!' ? '!' : '';
  s += r.key;
  switch (r.operator) {
    case '=':
    case '==':
    case '!=':
      s += r.operator;
      break;
    case 'in':
      s += ' in ';
      break;
    case 'notin':
      s += ' notin ';
      break;
    case 'gt':
      s += '>';
      break;
    case 'lt':
      s += '<';
      break;
    case 'exists':
    case '!':
      return s;
  }
  const set = r.operator === 'in' || r.operator === 'notin';
  if (set) s += '(';
  s += r.values.length === 1 ? r.values[0]! : [...r.values].sort(byteOrder).join(',');
  if (set) s += ')';
  return s;
}

export function selectorToString(selector: Selector): string {
  return selector.requirements.map(requirementToString).join(',');
}

function sortByKey(reqs: Requirement[]): Requirement[] {
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A selector that matches exactly the given labels (SelectorFromSet); empty or absent is everything. */
export function selectorFromSet(labels: Labels | undefined): Selector {
  if (!labels || Object.keys(labels).length === 0) return { requirements: [] };
  return { requirements: sortByKey(Object.keys(labels).map((k) => ({ key: k, operator: '=' as const, values: [labels[k]!] }))) };
}

/** Adds requirements, keeping them ordered by key (Selector.Add). */
export function addRequirements(selector: Selector, ...reqs: Requirement[]): Selector {
  if (selector.nothing) return selector;
  return { requirements: sortByKey([...selector.requirements, ...reqs]) };
}

/**
 * LabelSelectorAsSelector: null/undefined selects nothing, an empty selector selects everything.
 * Throws SelectorError with upstream's message for a bad key, value or operator.
 */
export function labelSelectorAsSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls === null || ls === undefined) return nothing;
  const matchLabels = ls.matchLabels ?? {};
  const exprs = ls.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + exprs.length === 0) return everything;
  const reqs: Requirement[] = [];
  for (const k of Object.keys(matchLabels).sort()) reqs.push(newRequirement(k, '=', [matchLabels[k]!]));
  for (const e of exprs) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as Record<string, Operator>)[e.operator];
    if (!op) throw new SelectorError(`${JSON.stringify(e.operator ?? '')} is not a valid label selector operator`);
    reqs.push(newRequirement(e.key, op, [...(e.values ?? [])]));
  }
  return { requirements: sortByKey(reqs) };
}

// ---- the string syntax: a port of upstream's lexer and recursive-descent parser ----

type Tok =
  | 'error'
  | 'eos'
  | ')'
  | ','
  | '!'
  | '=='
  | '='
  | '>'
  | 'id'
  | 'in'
  | '<'
  | '!='
  | 'notin'
  | '(';

const literalTokens: Record<string, Tok> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};

const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) => '=!(),><'.includes(c);

function lex(s: string): { tok: Tok; lit: string }[] {
  const items: { tok: Tok; lit: string }[] = [];
  let pos = 0;
  const read = () => (pos < s.length ? s[pos++]! : '');
  for (;;) {
    let ch = read();
    while (ch !== '' && isWhitespace(ch)) ch = read();
    if (ch === '') {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    pos--;
    if (isSpecial(ch)) {
      let buffer = '';
      let last: { tok: Tok; lit: string } | undefined;
      for (;;) {
        const c = read();
        if (c === '') break;
        if (isSpecial(c)) {
          buffer += c;
          const t = literalTokens[buffer];
          if (t) last = { tok: t, lit: buffer };
          else if (last) {
            pos--;
            break;
          }
        } else {
          pos--;
          break;
        }
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buffer}'` });
    } else {
      let buffer = '';
      for (;;) {
        const c = read();
        if (c === '') break;
        if (isSpecial(c) || isWhitespace(c)) {
          pos--;
          break;
        }
        buffer += c;
      }
      items.push({ tok: literalTokens[buffer] ?? 'id', lit: buffer });
    }
  }
}

class Parser {
  private position = 0;
  constructor(private readonly items: { tok: Tok; lit: string }[]) {}

  private at(values: boolean, i: number): { tok: Tok; lit: string } {
    const { tok, lit } = this.items[i]!;
    return { tok: values && (tok === 'in' || tok === 'notin') ? 'id' : tok, lit };
  }
  lookahead(values: boolean) {
    return this.at(values, this.position);
  }
  consume(values: boolean) {
    return this.at(values, this.position++);
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      if (tok === 'id' || tok === '!') {
        let r: Requirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          throw new SelectorError(`unable to parse requirement: ${(e as Error).message}`, e instanceof SelectorError ? e.errors : []);
        }
        reqs.push(r);
        const t = this.consume(true);
        if (t.tok === 'eos') return reqs;
        if (t.tok === ',') {
          const t2 = this.lookahead(true);
          if (t2.tok !== 'id' && t2.tok !== '!') throw new SelectorError(`found '${t2.lit}', expected: identifier after ','`);
        } else {
          throw new SelectorError(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === 'eos') {
        return reqs;
      } else {
        throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): Requirement {
    const { key, operator } = this.parseKeyAndInferOperator();
    if (operator === 'exists' || operator === '!') return newRequirement(key, operator, []);
    const op = this.parseOperator();
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, op, [...values].sort(byteOrder));
  }

  private parseKeyAndInferOperator(): { key: string; operator?: Operator } {
    let operator: Operator | undefined;
    let { tok, lit } = this.consume(true);
    if (tok === '!') {
      operator = '!';
      ({ tok, lit } = this.consume(true));
    }
    if (tok !== 'id') throw new SelectorError(`found '${lit}', expected: identifier`);
    const errs = isQualifiedName(lit);
    // upstream validates the key against a nil field path, printed as "<nil>"
    if (errs.length) throw new SelectorError(`<nil>: ${fieldErrors.invalid('', lit, errs.join('; ')).body()}`);
    const next = this.lookahead(true).tok;
    if ((next === 'eos' || next === ',') && operator !== '!') operator = 'exists';
    return operator ? { key: lit, operator } : { key: lit };
  }

  private parseOperator(): Operator {
    const { tok, lit } = this.consume(false);
    const op = ({ in: 'in', '=': '=', '==': '==', '>': 'gt', '<': 'lt', notin: 'notin', '!=': '!=' } as Partial<Record<Tok, Operator>>)[tok];
    if (!op) throw new SelectorError(`found '${lit}', expected: ${binaryOperators.join(', ')}`);
    return op;
  }

  private parseValues(): Set<string> {
    let { tok, lit } = this.consume(true);
    if (tok !== '(') throw new SelectorError(`found '${lit}' expected: '('`);
    ({ tok, lit } = this.lookahead(true));
    if (tok === 'id' || tok === ',') {
      const s = this.parseIdentifiersList();
      if (this.consume(true).tok !== ')') throw new SelectorError(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === ')') {
      this.consume(true);
      return new Set(['']);
    }
    throw new SelectorError(`found '${lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume(true);
      if (tok === 'id') {
        s.add(lit);
        const next = this.lookahead(true);
        if (next.tok === ',') continue;
        if (next.tok === ')') return s;
        throw new SelectorError(`found '${next.lit}', expected: ',' or ')'`);
      } else if (tok === ',') {
        if (s.size === 0) s.add('');
        const next = this.lookahead(true).tok;
        if (next === ')') {
          s.add('');
          return s;
        }
        if (next === ',') s.add('');
      } else {
        throw new SelectorError(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const next = this.lookahead(true).tok;
    if (next === 'eos' || next === ',') return new Set(['']);
    const { tok, lit } = this.consume(true);
    if (tok === 'id') return new Set([lit]);
    throw new SelectorError(`found '${lit}', expected: identifier`);
  }
}

/** labels.Parse: the selector string syntax. Throws SelectorError with upstream's message. */
export function parseSelector(s: string): Selector {
  const reqs = new Parser(lex(s)).parse();
  return { requirements: sortByKey(reqs) };
}

// ---- validation of metav1.LabelSelector and label maps (apimachinery meta/v1/validation) ----

export function validateLabelName(name: string, path: FieldPath): FieldError[] {
  return isQualifiedName(name).map((m) => fieldErrors.invalid(path, name, m));
}

/** ValidateLabels: every key a qualified name, every value a label value; errors at the map's path. */
export function validateLabels(labels: unknown, path: FieldPath): FieldError[] {
  if (!labels || typeof labels !== 'object' || Array.isArray(labels)) return [];
  const errs: FieldError[] = [];
  const m = labels as Record<string, unknown>;
  const keys = Object.keys(m);
  // (most label maps are written in key order already: sorting one anyway copies it)
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  for (const k of keys) {
    errs.push(...validateLabelName(k, path));
    const v = textOf(m[k]);
    for (const msg of isValidLabelValue(v)) errs.push(fieldErrors.invalid(path, v, msg));
  }
  return errs;
}

export function validateLabelSelector(
  ls: LabelSelector | null | undefined,
  path: FieldPath,
  opts: { allowInvalidLabelValueInSelector?: boolean } = {},
): FieldError[] {
  if (!ls || typeof ls !== 'object') return [];
  const errs = validateLabels(ls.matchLabels, path.child('matchLabels'));
  (Array.isArray(ls.matchExpressions) ? ls.matchExpressions : []).forEach((e, i) => {
    const p = path.child('matchExpressions').index(i);
    const values = Array.isArray(e?.values) ? e.values : [];
    switch (e?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(fieldErrors.required(p.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(fieldErrors.forbidden(p.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(fieldErrors.invalid(p.child('operator'), e?.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(e?.key ?? '', p.child('key')));
    if (!opts.allowInvalidLabelValueInSelector) {
      values.forEach((v, j) => {
        for (const msg of isValidLabelValue(v)) errs.push(fieldErrors.invalid(p.child('values').index(j), v, msg));
      });
    }
  });
  return errs;
}
