#!/usr/bin/env node
// Deterministic generator of flagd configurations and evaluation cases for the differential
// test (see README.md). Usage: node gen.js OUT.json [SEED]
//
// Output: {"seed", "configs": [{"id", "category", "text", "cases": [{"id", "flag", "type",
// "rust", "default", "context"}]}]}. `text` is the configuration exactly as both evaluators
// load it; `type` is the OpenFeature type asked for (boolean, string, number, object) and
// `rust` the Rust type our runner reads it as (bool, String, i64, f64, object).
'use strict';
const fs = require('fs');

const out = process.argv[2];
const seed = Number(process.argv[3] || process.env.SEED || 20261121) >>> 0;
if (!out) {
  console.error('usage: node gen.js OUT.json [SEED]');
  process.exit(2);
}

// ---------------------------------------------------------------- randomness (mulberry32)
let state = seed;
function rnd() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const call = (f) => (typeof f === 'function' ? f() : f);
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
const chance = (p) => rnd() < p;
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
function weighted(entries) {
  const total = entries.reduce((s, [w]) => s + w, 0);
  let r = rnd() * total;
  for (const [w, v] of entries) {
    if ((r -= w) < 0) return call(v);
  }
  return call(entries[entries.length - 1][1]);
}


// ---------------------------------------------------------------- value pools
const EMAILS = [
  'alice@example.com', 'bob@acme.org', 'carol@example.com', 'dave@corp.example.com',
  'élise@exämple.fr', '日本@例え.jp', 'rocket🚀@example.io', 'ADMIN@EXAMPLE.COM', '', 'no-at-sign',
];
const PLANS = ['free', 'pro', 'premium', 'enterprise', 'Pro', 'prémium', 'プロ', ''];
const COUNTRIES = ['us', 'de', 'fr', 'jp', 'br', 'ch', 'ü', '🇫🇷'];
const NAMES = ['Ada', 'Zoë', 'Øyvind', 'Łukasz', '李小龍', 'Ἀθηνᾶ', 'emoji 😀 name', 'a\u0301', 'tab\tname', 'quote"name', ''];
const VERSIONS = [
  '1.0.0', '1.2.3', '2.0.0', '2.0.0-alpha', '2.0.0-beta.1', '1.2.3+build.5', 'v1.2.3', 'V2.0.0',
  '1', '1.2', '2', '0.9', '10.0.0', '1.10.0', '2.0.0.0', 'not-a-version', 'v', '', '01.2.3', ' 1.2.3',
];
// Versions written in rules (our loader checks literal versions; odd ones come from the context).
const LITERAL_VERSIONS = ['1.0.0', '1.2.3', '2.0.0', '2.0.0-alpha', '2.0.0-beta.1', '1.2.3+build.5', 'v1.2.3', 'V2.0.0', '1', '1.2', '2', '0.9', '10.0.0', '1.10.0'];
const TKEYS = () => weighted([
  [6, () => `user-${int(1, 400)}`],
  [2, () => `${int(0, 0xffff).toString(16)}-${int(0, 0xffff).toString(16)}-${int(0, 0xffff).toString(16)}`],
  [1, () => pick(['élise', '日本語', 'José', 'Ωmega', 'ß', '😀', 'ejOoVL', 'ceQdGm'])],
  [1, () => pick(['', ' ', 'a', 'user-1'])],
]);
const STRINGS = () => pick([...PLANS, ...COUNTRIES, ...NAMES, 'a', 'b', 'abc', 'x', 'hello world', '42', '1.5', 'true', 'null']);
const NUMBERS = () => weighted([
  [5, () => int(-5, 120)],
  [2, () => pick([0, 1, 2, 10, 18, 21, 65, 100, -1])],
  [2, () => int(-1000, 1000) / pick([2, 4, 10, 3])],
  [1, () => pick([0.1, 0.2, 0.30000000000000004, 1e21, -1e-7, 2147483647, 2147483648, 9007199254740991, 1.5e300])],
]);

// Context attributes: name -> generator of a typical value.
const ATTRS = {
  email: () => pick(EMAILS),
  plan: () => pick(PLANS),
  country: () => pick(COUNTRIES),
  name: () => pick(NAMES),
  age: () => weighted([[6, () => int(0, 99)], [1, () => pick([17.5, 18.0000001, -3])]]),
  score: () => int(0, 1000) / 10,
  seats: () => int(0, 50),
  beta: () => chance(0.5),
  version: () => pick(VERSIONS),
  appVersion: () => pick(VERSIONS),
  tags: () => Array.from({ length: int(0, 4) }, () => pick(['a', 'b', 'beta', 'vip', 'early', 'é', '🚀', ''])),
  nums: () => Array.from({ length: int(0, 5) }, () => int(-3, 10)),
  items: () => Array.from({ length: int(0, 4) }, () => ({ name: pick(['apple', 'pear', 'kiwi', 'çà']), qty: int(0, 9), price: int(1, 500) / 10 })),
  user: () => ({
    profile: { tier: pick(['gold', 'silver', 'bronze']), age: int(10, 80), langs: [pick(['en', 'fr', 'de']), pick(['ja', 'pt'])] },
    roles: Array.from({ length: int(0, 3) }, () => pick(['admin', 'dev', 'ops', 'guest'])),
    id: int(1, 50),
  }),
  createdAt: () => pick([0, 946684800, 1700000000, 4102444800, 32503680000, '2020-01-01']),
};
const ATTR_NAMES = Object.keys(ATTRS);

function wrongValue() {
  return weighted([
    [3, () => STRINGS()],
    [3, () => NUMBERS()],
    [2, () => chance(0.5)],
    [1, () => null],
    [1, () => [int(0, 3), pick(['a', 'b'])]],
    [1, () => ({ a: int(0, 3), b: pick(['x', 'y']) })],
  ]);
}

function makeContext() {
  const ctx = {};
  const tk = weighted([[7, 'string'], [2, 'absent'], [1, 'odd']]);
  if (tk === 'string') ctx.targetingKey = TKEYS();
  else if (tk === 'odd') ctx.targetingKey = pick([42, null, '', true]);
  for (const name of ATTR_NAMES) {
    if (!chance(0.55)) continue;
    ctx[name] = chance(0.12) ? wrongValue() : ATTRS[name]();
  }
  if (chance(0.03)) ctx.$flagd = { flagKey: 'spoofed', timestamp: 1 };
  if (chance(0.05)) ctx['dotted.key'] = pick(['x', 1]);
  return ctx;
}

// ---------------------------------------------------------------- expressions
// Every generated rule records the operators it uses (for the coverage table).
const STR_ATTRS = ['email', 'plan', 'country', 'name', 'version', 'appVersion', 'targetingKey', 'user.profile.tier', 'items.0.name', 'user.roles.0'];
const NUM_ATTRS = ['age', 'score', 'seats', 'user.profile.age', 'user.id', 'items.0.qty', 'nums.1', 'createdAt'];
const BOOL_ATTRS = ['beta'];
const ARR_ATTRS = ['tags', 'nums', 'items', 'user.roles', 'user.profile.langs'];
const MISSING = ['nope', 'user.nope', 'user.profile.tier.deeper', 'items.9.name', 'Email', 'dotted.key', ''];

function varRef(pool) {
  const path = chance(0.08) ? pick(MISSING) : pick(pool);
  return weighted([
    [8, () => ({ var: path })],
    [1, () => ({ var: [path] })],
    [2, () => ({ var: [path, litFor(pool)] })],
  ]);
}
function litFor(pool) {
  if (pool === NUM_ATTRS) return NUMBERS();
  if (pool === BOOL_ATTRS) return chance(0.5);
  if (pool === ARR_ATTRS) return [pick(['a', 'vip']), int(0, 3)];
  return STRINGS();
}
const flagdVar = () => ({ var: pick(['$flagd.flagKey', '$flagd.timestamp']) });

function str(d) {
  if (d <= 0) {
    return weighted([[5, () => varRef(STR_ATTRS)], [4, () => STRINGS()], [1, () => ({ var: '$flagd.flagKey' })]]);
  }
  return weighted([
    [5, () => varRef(STR_ATTRS)],
    [3, () => STRINGS()],
    [2, () => ({ cat: Array.from({ length: int(1, 3) }, () => (chance(0.7) ? str(d - 1) : any(d - 1))) })],
    [2, () => ({ substr: chance(0.7) ? [str(d - 1), int(-4, 4)] : [str(d - 1), int(-3, 3), int(-3, 5)] })],
    [1, () => ({ if: [bool(d - 1), str(d - 1), str(d - 1)] })],
    [1, () => ({ var: '$flagd.flagKey' })],
    [1, () => wrongOperand(d - 1)],
  ]);
}

function num(d) {
  // `$flagd.timestamp` is not a leaf here: arithmetic on it would depend on the clock.
  if (d <= 0) return weighted([[5, () => varRef(NUM_ATTRS)], [4, () => NUMBERS()]]);
  const arith = () => {
    const op = pick(['+', '-', '*', '/', '%']);
    const n = op === '+' || op === '*' ? int(1, 3) : op === '-' ? int(1, 2) : 2;
    return { [op]: Array.from({ length: n }, () => num(d - 1)) };
  };
  return weighted([
    [4, () => varRef(NUM_ATTRS)],
    [3, () => NUMBERS()],
    [4, arith],
    [2, () => ({ [pick(['min', 'max'])]: Array.from({ length: int(1, 3) }, () => num(d - 1)) })],
    [1, () => ({ reduce: [arr(d - 1), { '+': [{ var: 'current' }, { var: 'accumulator' }] }, pick([0, 1, 10])] })],
    [1, () => ({ reduce: [{ var: 'items' }, { '+': [{ var: 'current.qty' }, { var: 'accumulator' }] }, 0] })],
    [1, () => ({ if: [bool(d - 1), num(d - 1), num(d - 1)] })],
    [1, () => wrongOperand(d - 1)],
  ]);
}

function arr(d) {
  if (d <= 0) return weighted([[3, () => varRef(ARR_ATTRS)], [2, () => [pick(['a', 'vip', 'beta']), pick(['b', 'é'])]], [1, () => [int(0, 5), int(0, 5), int(0, 5)]]]);
  return weighted([
    [4, () => varRef(ARR_ATTRS)],
    [2, () => Array.from({ length: int(0, 3) }, () => (chance(0.6) ? STRINGS() : NUMBERS()))],
    [2, () => ({ merge: Array.from({ length: int(1, 3) }, () => (chance(0.6) ? arr(d - 1) : str(d - 1))) })],
    [2, () => ({ map: [arr(d - 1), pick([{ '*': [{ var: '' }, 2] }, { var: 'name' }, { cat: [{ var: '' }, '!'] }, { '+': [{ var: 'qty' }, 1] }])] })],
    [2, () => ({ filter: [arr(d - 1), pick([{ '>': [{ var: '' }, 2] }, { '==': [{ var: '' }, 'vip'] }, { '>=': [{ var: 'qty' }, 3] }, { '!!': [{ var: '' }] }])] })],
    [1, () => ({ missing: Array.from({ length: int(1, 3) }, () => pick([...ATTR_NAMES, 'nope', 'user.profile.age']) ) })],
    [1, () => ({ missing_some: [int(0, 2), Array.from({ length: int(1, 3) }, () => pick([...ATTR_NAMES, 'nope']))] })],
    [1, () => wrongOperand(d - 1)],
  ]);
}

function bool(d) {
  if (d <= 0) return weighted([[3, () => varRef(BOOL_ATTRS)], [2, () => chance(0.5)], [3, () => cmp(0)]]);
  return weighted([
    [6, () => cmp(d)],
    [2, () => ({ [pick(['and', 'or'])]: Array.from({ length: int(1, 3) }, () => bool(d - 1)) })],
    [1, () => (chance(0.5) ? { '!': bool(d - 1) } : { '!': [any(d - 1)] })],
    [1, () => (chance(0.5) ? { '!!': any(d - 1) } : { '!!': [any(d - 1)] })],
    [2, () => ({ in: chance(0.5) ? [str(d - 1), arr(d - 1)] : [str(d - 1), str(d - 1)] })],
    [2, () => ({ [pick(['all', 'none', 'some'])]: [arr(d - 1), pick([{ '>': [{ var: '' }, 1] }, { '==': [{ var: '' }, 'vip'] }, { '<': [{ var: 'qty' }, 5] }, { in: [{ var: '' }, ['a', 'b']] }])] })],
    [2, () => ({ [pick(['starts_with', 'ends_with'])]: stringOpArgs(d) })],
    [2, () => ({ sem_ver: semverArgs(d) })],
    [1, () => ({ missing: [pick(ATTR_NAMES)] })],
    [1, () => ({ '>': [flagdVar(), pick([0, 1000000000, 4102444800, 1e12])] })],
    [1, () => ({ '==': [{ var: '$flagd.flagKey' }, pick(['f0', 'f1', 'f2', 'fx', 'spoofed'])] })],
    [1, () => varRef(BOOL_ATTRS)],
  ]);
}

function cmp(d) {
  const op = pick(['==', '===', '!=', '!==', '>', '>=', '<', '<=']);
  const side = weighted([[3, 'num'], [3, 'str'], [1, 'mixed'], [1, 'bool']]);
  const a = side === 'num' ? num : side === 'str' ? str : side === 'bool' ? bool0 : any;
  const b = side === 'mixed' ? any : a;
  if ((op === '<' || op === '<=') && chance(0.25)) return { [op]: [num(d - 1), a(d - 1), num(d - 1)] };
  return { [op]: [a(d - 1), b(d - 1)] };
}
const bool0 = (d) => (d <= 0 ? weighted([[1, () => varRef(BOOL_ATTRS)], [1, () => chance(0.5)], [1, () => null]]) : bool(d));

function any(d) {
  return weighted([[3, () => str(d)], [3, () => num(d)], [1, () => bool0(d)], [1, () => arr(d)], [1, () => null], [1, () => weird(d)]]);
}

// Odd but loadable JSON Logic: unusual arities, non-array arguments, literal arrays and `{}`,
// numeric strings, astral characters, negative zero, huge numbers.
const ODD_LITERALS = [{}, [], [[1, 2], [3]], '', '0', '10', '9', ' ', -0, 1e21, 0.1, '1e3', 'abc🚀def', 'ß', null, true, false, [null], ['a', ['b']]];
function weird(d) {
  const sub = () => (d <= 0 ? pick(ODD_LITERALS) : chance(0.5) ? weird(d - 1) : any(d - 1));
  return weighted([
    [3, () => pick(ODD_LITERALS)],
    [2, () => pick([{ var: 1 }, { var: 'nums.1' }, { var: ['items.0.qty', 0] }, { var: null }, { var: [] }, { var: 'user.roles.5' }, { var: 'tags.0' }])],
    [2, () => ({ [pick(['==', '!=', '===', '!==', '<', '>', '<=', '>='])]: Array.from({ length: pick([1, 2, 2, 3, 4]) }, sub) })],
    [1, () => ({ substr: pick([[sub()], [sub(), sub()], [pick(['🚀abc', 'a🚀b', 'é日本', 'abc']), int(-3, 3), int(-3, 3)]]) })],
    [1, () => ({ [pick(['cat', 'merge', '+', '*', 'min', 'max', 'and', 'or'])]: Array.from({ length: int(0, 3) }, sub) })],
    [1, () => ({ [pick(['-', '/', '%'])]: Array.from({ length: int(1, 3) }, sub) })],
    [1, () => ({ [pick(['!', '!!', '-'])]: sub() })],
    [1, () => ({ if: Array.from({ length: int(0, 4) }, sub) })],
    [1, () => ({ in: pick([[sub()], [sub(), sub()], [sub(), [sub(), sub()]]]) })],
    [1, () => pick([{ missing: 'email' }, { missing: [['email', 'nope']] }, { missing: [] }, { missing_some: [5, ['email', 'plan']] }, { missing_some: [0, []] }, { missing_some: [1, ['nope', 'email']] }])],
    [1, () => ({ [pick(['map', 'filter', 'all', 'none', 'some'])]: pick([[sub()], [sub(), sub()], [[1, 2, 3], { var: '' }], [{ var: 'items' }, { var: 'qty' }]]) })],
    [1, () => ({ reduce: pick([[[1, 2, 3], { '+': [{ var: 'current' }, { var: 'accumulator' }] }], [sub(), { var: 'current' }, sub()], [{ var: 'tags' }, { cat: [{ var: 'accumulator' }, { var: 'current' }] }, '']]) })],
    [1, () => ({ [pick(['starts_with', 'ends_with'])]: [pick(['🚀abc', 'abc', { var: 'name' }]), pick(['🚀', 'c', '', { var: 'plan' }])] })],
    [1, () => ({ sem_ver: [pick([{ var: 'version' }, '1.2.3', 'v1', '1.2']), pick(['=', '^', '~', '>=']), pick([{ var: 'appVersion' }, '1.0.0', '2'])] })],
  ]);
}

function wrongOperand(d) {
  return weighted([[1, () => null], [1, () => chance(0.5)], [1, () => [1, 'a']], [1, () => varRef(pick([STR_ATTRS, NUM_ATTRS, ARR_ATTRS]))], [1, () => ({ var: 'user' })]]);
}

function stringOpArgs(d) {
  const subject = weighted([[5, () => varRef(['email', 'name', 'plan', 'country', 'targetingKey'])], [1, () => str(d - 1)], [1, () => varRef(NUM_ATTRS)], [1, () => ({ var: 'tags' })]]);
  const fix = weighted([[4, () => pick(['a', 'al', 'alice', '@example.com', '.com', '.org', 'é', '日本', '🚀', 'rocket', 'ADMIN', '', 'Pro'])], [1, () => str(0)], [1, () => ({ '+': [NUMBERS(), 0] })]]);
  const args = [subject, fix];
  return args.map((a) => (a === null || typeof a !== 'object' ? (typeof a === 'string' ? a : { var: ['nope', a] }) : a));
}

function semverArgs(d) {
  const v = () => weighted([[5, () => varRef(['version', 'appVersion'])], [4, () => pick(LITERAL_VERSIONS)], [1, () => pick([1, 1.2, 2, 0])], [1, () => ({ cat: [pick(['v', '', '1.']), pick(['1', '2.0', '0', 'x'])] })]]);
  const op = () => weighted([[12, () => pick(['=', '!=', '<', '<=', '>', '>=', '^', '~'])], [1, () => ({ cat: [pick(['=', '<', '!', '']), pick(['=', '>', '~', ''])] })], [1, () => ({ var: 'plan' })]]);
  return [v(), op(), v()];
}

// ---------------------------------------------------------------- flags
const NAME_SETS = [
  ['on', 'off'], ['red', 'green', 'blue'], ['free', 'pro', 'premium', 'enterprise'],
  ['true', 'false'], ['1', '2', '3', '0'], ['a', 'b', 'c', 'd'], ['control', 'treatment-a', 'treatment-b'],
  ['élan', '日本', '🚀', 'x y'],
];
function variantValues(type, names, intOnly) {
  const out = {};
  names.forEach((n, i) => {
    if (type === 'boolean') out[n] = i % 2 === 0;
    else if (type === 'string') out[n] = pick([n.toUpperCase(), `value-${i}`, `${n}-é`, '', `🚀${i}`]);
    else if (type === 'number') out[n] = intOnly ? pick([i, i * 10, -i, 1000 + i, 0]) : pick([i + 0.5, i * 1.25, -i / 4, i]);
    else out[n] = pick([{ variant: n, size: i }, { nested: { list: [i, n], on: i % 2 === 0 } }, {}, { 'ü': null }]);
  });
  return out;
}

function variantRef(names) {
  return weighted([[8, () => pick(names)], [1, () => pick(['missing-variant', 'OFF', ''])], [1, () => null]]);
}

// ---------------------------------------------------------------- malformed rules
// What flagd loads although it is not what it seems to say: calls of flagd's operators with
// arguments they cannot use (null when evaluated), negative weights (counted as 0), literal or
// null bucketing values, unknown operators and `$ref`s to no evaluator (PARSE_ERROR for that
// flag), `$flagd` properties that do not exist, rules that are not objects. Each flag must
// evaluate as flagd-core evaluates it, and the other flags of its configuration must serve.
// Unknown operator names avoid json-logic-engine's own extra operators (`length`, `??`, `val`,
// ...), which flagd-core evaluates and flagd's schema does not list; objects with several keys
// are not generated either (flagd-core's result depends on the order of the keys in the file,
// which a parsed document does not keep): see README.md.
const UNKNOWN_OPS = ['unknown_op', 'startsWith', 'sem-ver', 'fractionl', 'ends_With', 'regex', 'bogus', 'StartsWith', 'log', 'contains'];

function malformedAffix() {
  const op = pick(['starts_with', 'ends_with']);
  const subject = () => pick([{ var: 'email' }, { var: 'name' }, 'abc', { var: 'nope' }, { var: 'targetingKey' }]);
  const args = weighted([
    [2, () => []],
    [3, () => [subject()]],
    [2, () => [subject(), pick(['a', '@example.com', '']), pick(['x', 'b'])]],
    [4, () => [subject(), pick([1, 0, true, false, null, ['a'], {}, 2.5])]],
    [2, () => [pick([1, true, null, ['abc'], {}]), pick(['a', ''])]],
    [2, () => pick(['abc', 5, null, true, {}])],
    [2, () => [{ var: pick(['age', 'beta', 'tags', 'user', 'nope']) }, pick(['a', { var: 'plan' }])]],
  ]);
  return { [op]: args };
}

function malformedSemVer() {
  const v = () => pick([{ var: 'version' }, { var: 'appVersion' }, '1.2.3', 'v1', '2.0.0', 1, 1.2]);
  return {
    sem_ver: weighted([
      [2, () => pick([[], [v()], [v(), '=']])],
      [1, () => [v(), '=', v(), '1.0.0']],
      [4, () => [v(), pick(['==', '<>', '', '=~', '*', 'gt', '>>', 1, null, true, ' =', '= ', '^1']), v()]],
      [4, () => [v(), pick(['=', '<', '>=', '^', '~', '!=']), pick(['2.0.0.0', 'not-a-version', '', 'v', '01.2.3', '1.2.3-', '1..2', null, true, -1, 1e21, [1], {}, 'V1.0', 'vv1.0.0'])]],
      [1, () => [pick([null, 'x.y.z', false, '1.0.0-01']), '=', v()]],
      [2, () => pick(['1.0.0', 1, null, {}])],
      [1, () => [v(), { var: pick(['plan', 'nope']) }, v()]],
    ]),
  };
}

function malformedFractional(names) {
  const name = () => pick(names);
  const odd = () => weighted([
    [3, () => [name(), -int(1, 50)]],
    [2, () => [name(), pick(['10', true, null, [5], {}, 1.5, 0.1, -0.5])]],
    [1, () => [name(), 1, 2]],
    [1, () => []],
    [1, () => pick(['a', 1, null, true])],
    [1, () => [pick([[1], {}]), 1]],
    [1, () => [name(), 2147483647]],
    [1, () => [name(), 0]],
    [1, () => [{ var: pick(['nope', 'plan']) }, 1]],
  ]);
  const buckets = [];
  const n = int(1, 4);
  for (let i = 0; i < n; i++) buckets.push(chance(0.5) ? [name(), int(0, 50)] : odd());
  const by = weighted([
    [3, () => undefined],
    [2, () => null],
    [2, () => pick(['fixed-key', 'élise', '', 'ceQdGm'])],
    [2, () => pick([5, true, false, {}, 0])],
    [3, () => ({ var: pick(['nope', 'age', 'beta', 'tags', 'user', 'email', 'targetingKey']) })],
    [1, () => ({ if: [bool(0), { var: 'email' }, pick([null, 7])] })],
  ]);
  const args = by === undefined ? buckets : [by, ...buckets];
  return { fractional: weighted([[12, () => args], [1, () => []], [1, () => pick(['a', 3, null, {}])]]) };
}

function malformedCondition(d, names) {
  return weighted([
    [4, malformedAffix],
    [4, malformedSemVer],
    [1, () => ({ '==': [malformedFractional(names), pick(names)] })],
    [1, () => ({ [pick(UNKNOWN_OPS)]: pick([[1, 2], [{ var: 'email' }, 'a'], 'x', []]) })],
    [1, () => ({ $ref: pick(['no-such-evaluator', 'Staff', 'ev0 ']) })],
    [1, () => ({ $ref: pick([['x'], 1, null]) })],
    [1, () => ({ var: pick(['$flagd.nope', '$flagd.flagkey', '$flagd.timestamp.x']) })],
  ]);
}

// A variant-producing rule with a malformed part.
function malformedRule(names, d) {
  const bad = () => malformedCondition(d, names);
  return weighted([
    // In one branch of an `if` chain: the rest of the rule still decides.
    [5, () => (chance(0.5)
      ? { if: [bool(d), pick(names), bad(), pick(names), variantRef(names)] }
      : { if: [bad(), pick(names), bool(d), pick(names), variantRef(names)] })],
    [2, () => ({ if: [bad(), pick(names), variantRef(names)] })],
    [3, () => malformedFractional(names)],
    [1, () => ({ if: [bool(d), malformedFractional(names), variantRef(names)] })],
    [2, () => ({ if: [{ [pick(['and', 'or'])]: [bool(d - 1), bad()] }, pick(names), variantRef(names)] })],
    [1, () => ({ '!': bad() })],
    [1, () => ({ if: [bool(d), pick(names), bad()] })],
    // Targeting that is not an object: a value (a variant name), or nothing.
    [1, () => pick([pick(names), [pick(names)], [pick(names), pick(names)], true, 1, 0, '', []])],
  ]);
}

// A variant-producing rule for a focus category.
function rule(focus, names, d) {
  switch (focus) {
    case 'if': {
      const n = int(1, 3);
      const args = [];
      for (let i = 0; i < n; i++) args.push(bool(d), variantRef(names));
      if (chance(0.8)) args.push(variantRef(names));
      return { if: args };
    }
    case 'bool-result':
      return bool(d);
    case 'var-result':
      return weighted([[3, () => ({ var: pick(['plan', 'country', 'tags', 'beta', 'age']) })], [1, () => ({ var: ['plan', pick(names)] })], [1, () => ({ var: 'nope' })]]);
    case 'string-result':
      return weighted([[3, () => ({ cat: [Array.from(pick(names))[0] || "", { substr: [pick(names), 1] }] })], [2, () => str(d)], [1, () => ({ if: [bool(d - 1), str(d - 1)] })]]);
    case 'number-result':
      return num(d);
    case 'array-result':
      return arr(d);
    case 'fractional':
      return { if: [chance(0.3) ? bool(d - 1) : true, fractionalRule(names, d), variantRef(names)] };
    case 'fractional-bare':
      return fractionalRule(names, d);
    case 'sem_ver':
      return { if: [{ sem_ver: semverArgs(d) }, pick(names), variantRef(names)] };
    case 'strings':
      return { if: [{ [pick(['starts_with', 'ends_with'])]: stringOpArgs(d) }, pick(names), { [pick(['starts_with', 'ends_with'])]: stringOpArgs(d) }, pick(names), variantRef(names)] };
    case 'arith':
      return { if: [cmp(d), pick(names), { [pick(['>', '<', '=='])]: [num(d), num(d)] }, pick(names), variantRef(names)] };
    case 'arrays':
      return { if: [{ [pick(['all', 'none', 'some'])]: [arr(d - 1), pick([{ '>': [{ var: '' }, 2] }, { '==': [{ var: '' }, 'vip'] }, { '>=': [{ var: 'qty' }, 3] }])] }, pick(names), { in: [str(d - 1), arr(d - 1)] }, pick(names), variantRef(names)] };
    case 'missing':
      return { if: [pick([{ missing: [pick(ATTR_NAMES), pick(ATTR_NAMES)] }, { missing_some: [1, [pick(ATTR_NAMES), pick(ATTR_NAMES), 'nope']] }, { '!': { missing: [pick(ATTR_NAMES)] } }]), pick(names), variantRef(names)] };
    case 'weird':
      return weighted([
        [3, () => ({ if: [weird(d), pick(names), weird(d), pick(names), variantRef(names)] })],
        [1, () => weird(d)],
        [1, () => ({ cat: [weird(d - 1)] })],
      ]);
    case 'malformed':
      return malformedRule(names, d);
    case 'flagd':
      return { if: [pick([
        { '>': [{ var: '$flagd.timestamp' }, pick([0, 1000000000, 1600000000])] },
        { '<': [{ var: '$flagd.timestamp' }, pick([4102444800, 32503680000])] },
        { '<': [{ var: '$flagd.timestamp' }, 1000000000] },
        { '==': [{ var: '$flagd.flagKey' }, pick(['f0', 'f1', 'f2', 'spoofed'])] },
        { starts_with: [{ var: '$flagd.flagKey' }, 'f'] },
        { '<': [1000000000, { var: '$flagd.timestamp' }, 4102444800] },
        { '>': [{ var: '$flagd' }, 0] },
      ]), pick(names), variantRef(names)] };
    default:
      throw new Error(`unknown focus ${focus}`);
  }
}

function bucketVariant(names) {
  return weighted([[12, () => pick(names)], [1, () => pick(['missing-variant', 1, true])], [1, () => ({ if: [bool(1), pick(names), pick(names)] })], [1, () => null]]);
}
function bucketWeight() {
  return weighted([
    [10, () => int(0, 100)],
    [2, () => pick([1, 5, 50, 1000000, 0])],
    [1, () => pick([{ '-': [0, 5] }, { '*': [2.5, 1] }, { cat: ['10'] }, { '+': [2147483647, 1] }, { var: 'score' }])],
    [1, () => ({ if: [bool(1), int(1, 50), int(0, 50)] })],
    [1, () => ({ '-': [{ var: '$flagd.timestamp' }, pick([4102444800, 32503680000])] })],
    [1, () => ({ '+': [{ var: 'seats' }, 1] })],
  ]);
}
function fractionalRule(names, d) {
  const n = weighted([[1, 1], [5, 2], [4, 3], [2, 4], [1, 6]]);
  const buckets = [];
  for (let i = 0; i < n; i++) {
    const b = [bucketVariant(names)];
    if (chance(0.85)) b.push(bucketWeight());
    buckets.push(b);
  }
  const by = weighted([
    [5, () => undefined],
    [3, () => ({ cat: [{ var: '$flagd.flagKey' }, { var: pick(['email', 'targetingKey', 'name']) }] })],
    [2, () => ({ var: pick(['email', 'targetingKey', 'name', 'user.id', 'nope']) })],
    [1, () => ({ cat: [pick(['fixed-key', 'ejOoVL', 'ceQdGm', 'élise', '🚀', 'ß日本'])] })],
    [1, () => ({ var: pick(['nums', 'beta', 'age']) })],
    [1, () => ({ if: [bool(0), { var: 'email' }, null] })],
  ]);
  return { fractional: by === undefined ? buckets : [by, ...buckets] };
}

// ---------------------------------------------------------------- configurations
const FOCUS = [
  [6, 'if'], [3, 'bool-result'], [2, 'var-result'], [2, 'string-result'], [1, 'number-result'], [1, 'array-result'],
  [5, 'fractional'], [3, 'fractional-bare'], [3, 'sem_ver'], [3, 'strings'], [3, 'arith'], [3, 'arrays'], [2, 'missing'],
  [2, 'flagd'], [4, 'weird'],
];
const TYPES = [[3, 'boolean'], [3, 'string'], [2, 'number'], [1, 'object']];

function makeFlag(key, category, evaluators) {
  const type = weighted(TYPES);
  let focus = category === 'targeted' ? weighted(FOCUS) : category;
  // A configuration with malformed rules also has flags without: they must serve.
  if (category === 'malformed' && chance(0.4)) focus = weighted(FOCUS);
  let names = pick(NAME_SETS);
  if (focus === 'bool-result' && chance(0.7)) names = ['true', 'false'];
  if (focus === 'number-result' && chance(0.7)) names = ['1', '2', '3', '0'];
  if (focus === 'var-result' && chance(0.7)) names = ['free', 'pro', 'premium', 'enterprise'];
  const intOnly = chance(0.6);
  const flag = { state: 'ENABLED', variants: variantValues(type, names, intOnly) };
  const dv = weighted([[8, 'set'], [1, 'null'], [1, 'absent']]);
  if (dv === 'set') flag.defaultVariant = pick(names);
  else if (dv === 'null') flag.defaultVariant = null;
  if (!['static', 'disabled'].includes(focus)) {
    const depth = int(1, 3);
    let t = rule(focus, names, depth);
    const valueRule = focus === 'malformed' && (t === null || typeof t !== 'object' || Array.isArray(t));
    if (!valueRule && (t === null || typeof t !== 'object' || Array.isArray(t))) t = { or: [t] };
    if (evaluators && !valueRule && chance(0.5)) {
      // Move a condition into a shared evaluator and reference it.
      const name = `ev${Object.keys(evaluators).length}${pick(['', '-shared', ' spaced', 'é'])}`;
      let ev = focus === 'malformed' && chance(0.5) ? malformedCondition(depth, names) : chance(0.5) ? bool(depth) : t;
      if (ev === null || typeof ev !== 'object' || Array.isArray(ev)) ev = { and: [ev] };
      evaluators[name] = ev;
      t = chance(0.5) ? { $ref: name } : { if: [{ $ref: name }, pick(names), variantRef(names)] };
    }
    flag.targeting = t;
  }
  if (focus === 'disabled') {
    flag.state = 'DISABLED';
    if (chance(0.6)) flag.targeting = rule('if', names, 1);
  }
  if (focus === 'static' && chance(0.2)) flag.targeting = {};
  if (chance(0.2)) flag.metadata = { owner: pick(['team-a', 'équipe']), rev: int(1, 9), beta: chance(0.5) };
  return { flag, type, intOnly, focus };
}

function defaultFor(type) {
  switch (type) {
    case 'boolean': return chance(0.5);
    case 'string': return pick(['fallback', '', 'dflt-é']);
    case 'number': return pick([-1, 0, 7]);
    default: return { fallback: true };
  }
}
function rustType(type, intOnly) {
  if (type === 'boolean') return 'bool';
  if (type === 'string') return 'String';
  if (type === 'object') return 'object';
  return intOnly && chance(0.7) ? 'i64' : 'f64';
}

const configs = [];
let caseId = 0;
function addConfig(category, cfg, flagInfo, contextsPerFlag, textOverride) {
  const text = textOverride !== undefined ? textOverride : serialise(cfg);
  const cases = [];
  for (const [key, info] of Object.entries(flagInfo)) {
    for (let i = 0; i < contextsPerFlag; i++) {
      let type = info.type;
      if (chance(0.06)) type = pick(['boolean', 'string', 'number', 'object']);
      const c = { id: caseId++, flag: key, focus: info.focus, type, rust: rustType(type, info.intOnly), default: defaultFor(type), context: makeContext() };
      cases.push(c);
    }
  }
  if (chance(0.3)) {
    const type = pick(['boolean', 'string', 'number', 'object']);
    cases.push({ id: caseId++, flag: pick(['no-such-flag', 'F0', '']), focus: 'not-found', type, rust: rustType(type, true), default: defaultFor(type), context: makeContext() });
  }
  configs.push({ id: configs.length, category, text, cases });
}

function serialise(cfg) {
  const style = int(0, 3);
  if (style === 0) return JSON.stringify(cfg);
  if (style === 1) return JSON.stringify(cfg, null, 2);
  // Odd but valid whitespace, notably around `$ref` colons.
  return JSON.stringify(cfg, null, '\t').replace(/": /g, () => pick(['":', '" : ', '":\n   ', '": ']));
}

function makeConfig(category, nFlags) {
  const cfg = { flags: {} };
  const evaluators = (category === 'targeted' && chance(0.35)) || (category === 'malformed' && chance(0.5)) ? {} : null;
  const info = {};
  for (let i = 0; i < nFlags; i++) {
    const key = chance(0.9) ? `f${i}` : pick([`flag-é${i}`, `🚀${i}`, `with space ${i}`, `dotted.key.${i}`]);
    const f = makeFlag(key, category, evaluators);
    cfg.flags[key] = f.flag;
    info[key] = f;
  }
  if (evaluators && Object.keys(evaluators).length) cfg.$evaluators = evaluators;
  if (chance(0.3)) cfg.metadata = { flagSetId: pick(['set-a', 'ensemble']), version: String(int(1, 30)) };
  if (chance(0.1)) cfg.$schema = 'https://flagd.dev/schema/v0/flags.json';
  return { cfg, info };
}

// Valid configurations, by category.
const PLAN = [
  ['static', 40, [2, 4], 3],
  ['disabled', 30, [2, 4], 3],
  ['null-default', 30, [2, 4], 3],
  ['targeted', 1500, [2, 5], 5],
  ['malformed', 600, [2, 4], 5],
];
for (const [category, count, [lo, hi], ctxs] of PLAN) {
  for (let i = 0; i < count; i++) {
    const { cfg, info } = makeConfig(category === 'null-default' ? 'static' : category, int(lo, hi));
    if (category === 'null-default') {
      for (const f of Object.values(cfg.flags)) {
        if (chance(0.5)) f.defaultVariant = null;
        else delete f.defaultVariant;
      }
      for (const v of Object.values(info)) v.focus = 'null-default';
    }
    addConfig(category, cfg, info, ctxs);
  }
}

// Missing evaluators, unknown operators and rules that cannot compile: the configuration
// loads in flagd-core (the flag answers PARSE_ERROR) but fails its strict schema validation.
const BROKEN_RULES = [
  () => ({ $ref: 'no-such-evaluator' }),
  () => ({ if: [{ $ref: 'missing' }, 'a', 'b'] }),
  () => ({ unknown_op: [1, 2] }),
  () => ({ if: [{ '===': [{ var: 'plan' }, 'pro'] }, 'a', { bogus: [] }] }),
  () => ({ '+': ['a', 1] }),
  () => ({ '/': [1, 0] }),
  () => ({ max: [] }),
];
for (let i = 0; i < 25; i++) {
  const { cfg, info } = makeConfig('targeted', 2);
  const key = Object.keys(cfg.flags)[0];
  cfg.flags[key].targeting = pick(BROKEN_RULES)();
  cfg.flags[key].variants = { a: true, b: false };
  cfg.flags[key].defaultVariant = 'a';
  info[key].type = 'boolean';
  info[key].focus = 'broken-rule';
  if (chance(0.5)) cfg.$evaluators = { present: { '==': [1, 1] } };
  addConfig('broken-rule', cfg, info, 2);
}

// Configurations that flagd rejects (a bad `state`, no `variants`, a `defaultVariant` that names
// no variant, not JSON), and ones it loads although its schema rejects them: both evaluators
// must agree on the load, and on every evaluation of what loads.
const INVALID = [
  ['bad-state', (c, k) => { c.flags[k].state = pick(['ON', 'enabled', '', null]); }],
  ['missing-state', (c, k) => { delete c.flags[k].state; }],
  ['default-not-a-variant', (c, k) => { c.flags[k].defaultVariant = 'no-such-variant'; }],
  ['missing-variants', (c, k) => { delete c.flags[k].variants; }],
  ['empty-variants', (c, k) => { c.flags[k].variants = {}; delete c.flags[k].defaultVariant; }],
  ['mixed-variant-types', (c, k) => { c.flags[k].variants.zzz = pick([1, 'x', true, { o: 1 }]); }],
  ['array-variant', (c, k) => { c.flags[k].variants.zzz = [1, 2]; }],
  ['null-variant', (c, k) => { c.flags[k].variants.zzz = null; }],
  ['structured-default', (c, k, info) => { c.flags[k].variants.zzz = pick([null, [1, 'a'], []]); c.flags[k].defaultVariant = 'zzz'; info[k].type = pick(['object', 'object', 'boolean', 'string']); }],
  ['variants-array', (c, k) => { c.flags[k].variants = pick([['x', 'y'], [true]]); c.flags[k].defaultVariant = pick(['0', '1', null]); }],
  ['falsy-default-variant', (c, k) => { c.flags[k].defaultVariant = pick([false, 0, '']); }],
  ['truthy-default-variant', (c, k) => { c.flags[k].defaultVariant = pick([true, 1, ['a'], {}]); }],
  ['empty-flag-key', (c, k) => { c.flags[''] = c.flags[k]; delete c.flags[k]; }],
  ['evaluators-not-object', (c) => { c.$evaluators = pick([[{ '==': [1, 1] }], 'x', 1]); }],
  ['bad-flag-metadata', (c, k) => { c.flags[k].metadata = { nested: { x: 1 } }; }],
  ['bad-set-metadata', (c) => { c.metadata = { list: [1, 2] }; }],
  ['empty-default-variant', (c, k) => { c.flags[k].defaultVariant = ''; }],
  ['flags-not-object', (c) => { c.flags = pick(['x', 1, null]); }],
  ['no-flags', (c) => { delete c.flags; c.other = {}; }],
  ['decimal-weight', (c, k) => { c.flags[k].targeting = { fractional: [['a', 1.5], ['b', 1]] }; c.flags[k].variants = { a: true, b: false }; c.flags[k].defaultVariant = 'a'; }],
  ['bad-flagd-var', (c, k) => { c.flags[k].targeting = { if: [{ var: '$flagd.nope' }, Object.keys(c.flags[k].variants)[0], null] }; }],
  ['extra-flag-property', (c, k) => { c.flags[k].description = 'not in the schema'; }],
  ['sem_ver-arity', (c, k) => { setRule(c, k, { sem_ver: pick([['1.0.0', '<'], ['1.0.0', '<', '2.0.0', '3.0.0'], []]) }); }],
  ['sem_ver-bad-literal', (c, k) => { setRule(c, k, { sem_ver: [{ var: 'version' }, '<', pick(['2.0.0.0', 'not-a-version', '', 'v'])] }); }],
  ['sem_ver-bad-operator', (c, k) => { setRule(c, k, { sem_ver: [{ var: 'version' }, pick(['==', '<>', '', '=~']), '1.0.0'] }); }],
  ['string-op-arity', (c, k) => { setRule(c, k, { [pick(['starts_with', 'ends_with'])]: pick([[{ var: 'email' }], [{ var: 'email' }, 'a', 'b']]) }); }],
  ['string-op-number-arg', (c, k) => { setRule(c, k, { [pick(['starts_with', 'ends_with'])]: [{ var: 'email' }, pick([1, true, null])] }); }],
  ['fractional-literal-key', (c, k) => { setRule(c, k, { fractional: [pick(['fixed-key', 'élise']), ['a', 1], ['b', 1]] }); }],
  ['fractional-negative-weight', (c, k) => { setRule(c, k, { fractional: [['a', 25], ['b', -25], ['c', 25]] }); }],
  ['fractional-weight-sum', (c, k) => { setRule(c, k, { fractional: [['a', 2147483647], ['b', pick([1, 100])]] }); }],
  ['fractional-max-weight', (c, k) => { setRule(c, k, { fractional: [['a', 2147483647], ['b', 0]] }); }],
  ['fractional-bucket-arity', (c, k) => { setRule(c, k, { fractional: [['a', 1, 2], ['b', 1]] }); }],
  ['non-object-rule', (c, k) => { setRule(c, k, pick(['a', true, 1, ['a']])); }],
  ['ref-in-evaluator', (c, k) => { c.$evaluators = { inner: { '==': [{ var: 'plan' }, 'pro'] }, outer: { and: [{ $ref: 'inner' }, true] } }; setRule(c, k, { if: [{ $ref: 'outer' }, 'a', 'b'] }); }],
];
function setRule(c, k, rule) {
  c.flags[k].variants = { a: true, b: false, c: true };
  c.flags[k].defaultVariant = 'a';
  c.flags[k].targeting = rule;
}
for (let i = 0; i < INVALID.length * 5; i++) {
  const [name, mutate] = INVALID[i % INVALID.length];
  const { cfg, info } = makeConfig('static', 2);
  const key = Object.keys(cfg.flags)[0];
  mutate(cfg, key, info);
  if (name === 'empty-flag-key') { info[''] = info[key]; delete info[key]; }
  for (const v of Object.values(info)) v.focus = `load:${name}`;
  if (cfg.flags && cfg.flags[key] && cfg.flags[key].variants && cfg.flags[key].variants.c === true) info[key].type = 'boolean';
  addConfig(`load:${name}`, cfg, info, 1);
}
for (let i = 0; i < 4; i++) {
  const { info } = makeConfig('static', 1);
  addConfig('load:not-json', null, info, 1, pick(['{"flags": {', 'not json', '', '[]']));
}

// Neither evaluator may see a lone UTF-16 surrogate in the input (Rust strings cannot hold one).
for (const cfg of configs) {
  const all = cfg.text + JSON.stringify(cfg.cases);
  if (/\p{Cs}/u.test(all)) throw new Error(`configuration ${cfg.id} holds a lone surrogate`);
}

const doc = { seed, generator: 'conformance/flagd/gen.js', configs };
fs.writeFileSync(out, JSON.stringify(doc));
const n = configs.reduce((s, c) => s + c.cases.length, 0);
console.error(`generated ${configs.length} configurations, ${n} cases (seed ${seed})`);
