// Label selectors: the string syntax with upstream's parse errors (labels/selector_test.go cases),
// matching, LabelSelector conversion and validation, with property tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { FieldPath } from '../../src/model/field.js';
import {
  everything,
  isEmpty,
  labelSelectorAsSelector,
  matches,
  nothing,
  parseSelector,
  SelectorError,
  selectorFromSet,
  selectorToString,
  validateLabels,
  validateLabelSelector,
} from '../../src/model/labels.js';

test('valid selector strings parse and print canonically', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['x=a', 'x=a'],
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['z=c,x=a', 'x=a,z=c'],
    ['x==a', 'x==a'],
    ['x!=a,y=b', 'x!=a,y=b'],
    ['x=,z= ', 'x=,z='],
    ['x= ,z= ', 'x=,z='],
    ['!x', '!x'],
    ['x', 'x'],
    ['x>1', 'x>1'],
    ['x<1', 'x<1'],
    ['x in (b,a)', 'x in (a,b)'],
    ['x notin (a)', 'x notin (a)'],
    ['x in (,a)', 'x in (,a)'],
    ['x in ()', 'x in ()'],
    ['x in (in, notin)', 'x in (in,notin)'],
    ['  a = b  ,  c  ', 'a=b,c'],
    ['example.com/app in (web)', 'example.com/app in (web)'],
  ];
  for (const [input, want] of cases) assert.equal(selectorToString(parseSelector(input)), want, input);
});

test('parse errors are upstream texts', () => {
  const cases: [string, string][] = [
    ['x==a==b', "found '==', expected: ',' or 'end of string'"],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['x in a', "unable to parse requirement: found 'a' expected: '('"],
    [',x', "found ',', expected: !, identifier, or 'end of string'"],
    ['x=a,', "found '', expected: identifier after ','"],
    ['x=(a)', "unable to parse requirement: found '(', expected: identifier"],
    ['x y', "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"],
    ['x>a', `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['x=a b', "found 'b', expected: ',' or 'end of string'"],
    [
      'a@b=c',
      'unable to parse requirement: <nil>: Invalid value: "a@b": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
    ],
    [
      'a=b@',
      'unable to parse requirement: values[0][a]: Invalid value: "b@": a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyValue\',  or \'my_value\',  or \'12345\', regex used for validation is \'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\')',
    ],
  ];
  for (const [input, msg] of cases) {
    assert.throws(() => parseSelector(input), (e: unknown) => e instanceof SelectorError && e.message === msg, input);
  }
  // '|' is an identifier character: the value "a||y" fails label-value validation first
  assert.throws(() => parseSelector('x=a||y=b'), (e: unknown) => e instanceof SelectorError && e.message.startsWith('unable to parse requirement: values[0][x]: Invalid value: "a||y": a valid label'));
});

test('matching follows the operators', () => {
  const l = { a: 'x', n: '5' };
  const m = (s: string) => matches(parseSelector(s), l);
  assert.ok(m('a=x') && m('a==x') && m('a!=y') && m('b!=y') && m('a') && m('!b'));
  assert.ok(m('a in (x,y)') && m('a notin (y)') && m('b notin (y)') && m('n>4') && m('n<6'));
  assert.ok(!m('a=y') && !m('b=x') && !m('!a') && !m('b') && !m('b in (x)') && !m('n>5') && !m('a>1'));
  assert.ok(matches(everything, {}) && !matches(nothing, {}));
  assert.ok(isEmpty(parseSelector('')) && !isEmpty(nothing));
  assert.ok(matches(selectorFromSet({ a: 'x' }), l) && !matches(selectorFromSet({ a: 'y' }), l));
});

test('LabelSelector conversion', () => {
  assert.equal(labelSelectorAsSelector(undefined), nothing);
  assert.ok(isEmpty(labelSelectorAsSelector({})));
  const s = labelSelectorAsSelector({ matchLabels: { b: '1', a: '2' }, matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['z', 'y'] }, { key: 'd', operator: 'DoesNotExist' }] });
  assert.equal(selectorToString(s), 'a=2,b=1,c notin (y,z),!d');
  assert.throws(() => labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'Foo' }] }), /"Foo" is not a valid label selector operator/);
  assert.throws(() => labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), { message: "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty" });
});

test('ValidateLabelSelector and ValidateLabels report at upstream paths', () => {
  const p = FieldPath.root('spec', 'selector');
  const errs = validateLabelSelector({ matchLabels: { 'a/b/c': 'x' }, matchExpressions: [{ key: 'k', operator: 'In', values: [] }, { key: 'k', operator: 'Exists', values: ['v'] }, { key: 'k', operator: 'Nope' }] }, p).map(String);
  assert.deepEqual(errs, [
    `spec.selector.matchLabels: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    'spec.selector.matchExpressions[2].operator: Invalid value: "Nope": not a valid selector operator',
  ]);
  assert.deepEqual(validateLabels({ '': 'x' }, FieldPath.root('metadata', 'labels')).map(String), [
    'metadata.labels: Invalid value: "": name part must be non-empty',
    `metadata.labels: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
  ]);
});

const key = fc.constantFrom('a', 'b', 'app', 'example.com/tier', 'c-d');
const value = fc.constantFrom('', 'x', 'y', 'web', 'in', '1', '42');
const labelsArb = fc.dictionary(key, value, { maxKeys: 4 });
const exprArb = fc.oneof(
  fc.record({ key, operator: fc.constantFrom('In', 'NotIn'), values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }) }),
  fc.record({ key, operator: fc.constantFrom('Exists', 'DoesNotExist') }),
);
const selectorArb = fc.record({ matchLabels: fc.dictionary(key, value, { maxKeys: 2 }), matchExpressions: fc.array(exprArb, { maxLength: 3 }) });

/** Direct evaluation of a LabelSelector, independent of the Selector machinery. */
function direct(ls: LabelSelector, labels: Record<string, string>): boolean {
  const has = (k: string) => Object.prototype.hasOwnProperty.call(labels, k);
  if (!Object.entries(ls.matchLabels ?? {}).every(([k, v]) => has(k) && labels[k] === v)) return false;
  return (ls.matchExpressions ?? []).every((e) => {
    switch (e.operator) {
      case 'In':
        return has(e.key) && e.values!.includes(labels[e.key]!);
      case 'NotIn':
        return !has(e.key) || !e.values!.includes(labels[e.key]!);
      case 'Exists':
        return has(e.key);
      default:
        return !has(e.key);
    }
  });
}

test('property: LabelSelector conversion agrees with direct matching', () => {
  fc.assert(
    fc.property(selectorArb, labelsArb, (ls, labels) => {
      assert.equal(matches(labelSelectorAsSelector(ls), labels), direct(ls, labels));
    }),
    { numRuns: 1000 },
  );
});

test('property: the string form round-trips', () => {
  fc.assert(
    fc.property(selectorArb, labelsArb, (ls, labels) => {
      const s = labelSelectorAsSelector(ls);
      const text = selectorToString(s);
      const back = parseSelector(text);
      assert.equal(selectorToString(back), text);
      assert.equal(matches(back, labels), matches(s, labels));
    }),
    { numRuns: 1000 },
  );
});
