#!/usr/bin/env node
// Compares our engine's outcomes with flagd-core's.
// Usage: node compare.js CASES.json ORACLE.json OURS.json [--report REPORT.md] [--show N]
//
// Load level: we must load exactly what flagd-core loads (`lax`, what `setConfigurations`
// does: schema problems only logged), with one documented exception: a document that is not a
// flag definition file (no `flags` object), which flagd-core loads as an empty flag set and we
// reject (see README.md). Evaluation level (configurations both load): value, variant,
// reason, error code and flag metadata must be equal. Prints a coverage table, the summary
// "N cases, M disagreements" and the first disagreements in full; exits 1 on any disagreement.
'use strict';
const fs = require('fs');
const { explain } = require('./flagd-core-hooked');

const argv = process.argv.slice(2);
const positional = [];
const opts = { show: 30, report: null };
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--report') opts.report = argv[++i];
  else if (argv[i] === '--show') opts.show = Number(argv[++i]);
  else positional.push(argv[i]);
}
if (positional.length !== 3) {
  console.error('usage: node compare.js CASES.json ORACLE.json OURS.json [--report REPORT.md] [--show N]');
  process.exit(2);
}
const [cases, oracle, ours] = positional.map((p) => JSON.parse(fs.readFileSync(p, 'utf8')));

const OPERATORS = new Set([
  'var', 'missing', 'missing_some', 'if', '==', '===', '!=', '!==', '>', '>=', '<', '<=', '!', '!!',
  'or', 'and', '+', '-', '*', '/', '%', 'max', 'min', 'merge', 'cat', 'substr', 'in', 'map',
  'filter', 'all', 'none', 'some', 'reduce', 'fractional', 'sem_ver', 'starts_with', 'ends_with',
  '$ref',
]);

// Operators used by a rule (following `$ref` into `$evaluators`), plus pseudo-operators for
// the flagd context properties.
function operators(rule, evaluators, acc = new Set(), seen = new Set()) {
  if (Array.isArray(rule)) {
    for (const item of rule) operators(item, evaluators, acc, seen);
  } else if (rule && typeof rule === 'object') {
    const keys = Object.keys(rule);
    if (keys.length === 1 && OPERATORS.has(keys[0])) {
      const op = keys[0];
      acc.add(op);
      const args = rule[op];
      if (op === '$ref' && typeof args === 'string' && evaluators && evaluators[args] !== undefined && !seen.has(args)) {
        seen.add(args);
        operators(evaluators[args], evaluators, acc, seen);
      }
      if (op === 'var') {
        const path = Array.isArray(args) ? args[0] : args;
        if (path === '$flagd.flagKey') acc.add('$flagd.flagKey');
        if (path === '$flagd.timestamp') acc.add('$flagd.timestamp');
      }
      if (op === 'fractional' && Array.isArray(args)) {
        acc.add(Array.isArray(args[0]) ? 'fractional (no bucketing value)' : 'fractional (bucketing value)');
      }
      operators(args, evaluators, acc, seen);
    } else {
      for (const k of keys) operators(rule[k], evaluators, acc, seen);
    }
  }
  return acc;
}

function parseConfig(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// Deep equality of JSON values; numbers compared as numbers (so -0 equals 0).
function same(a, b) {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return same(ka, kb) && ka.every((k) => same(a[k], b[k]));
}

const FIELDS = ['value', 'variant', 'reason', 'errorCode', 'metadata'];
const byOracle = new Map(oracle.configs.map((c) => [c.id, c]));
const byOurs = new Map(ours.configs.map((c) => [c.id, c]));

const disagreements = [];
const coverage = new Map(); // operator -> {cases, outcomes: {reason/code: n}}
const focusCount = new Map();
const corrections = new Map(); // correction -> {cases, oursMatchesRaw}
let totalCases = 0;
let compared = 0;
let loadChecks = 0;
// Flags with a malformed rule -> whether the load warned about them (a rule whose malformed
// part is computed, such as `sem_ver` with the operator from the context, gives none).
const malformedFlags = new Map();
const loadStats = { bothLoad: 0, bothReject: 0, notFlagd: 0, strictRejects: 0 };

// A document without a `flags` object or array is no flag definition file: our sources read
// several formats, and reject a document that is none of them (flagd-core loads it as an empty
// flag set). The one load-level difference, documented in README.md.
function notAFlagdDocument(parsed) {
  return parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)
    || parsed.flags === null || typeof parsed.flags !== 'object';
}

for (const cfg of cases.configs) {
  const o = byOracle.get(cfg.id);
  const r = byOurs.get(cfg.id);
  totalCases += cfg.cases.length;
  if (!o || !r) {
    disagreements.push({ kind: 'missing-output', focus: cfg.category, config: cfg, detail: `no ${!o ? 'flagd-core' : 'flags'} output for configuration ${cfg.id}` });
    continue;
  }
  loadChecks++;
  const parsed = parseConfig(cfg.text);
  const oursOk = r.loaded;
  if (oursOk && !o.lax.ok) {
    disagreements.push({ kind: 'load', focus: cfg.category, config: cfg, detail: 'flags loads a configuration flagd-core rejects', expected: o.lax.error, ours: 'loaded' });
    continue;
  }
  if (!oursOk && o.lax.ok) {
    if (notAFlagdDocument(parsed) && /not a flag definition file/.test(r.error)) {
      loadStats.notFlagd++;
      continue;
    }
    disagreements.push({ kind: 'load', focus: cfg.category, config: cfg, detail: 'flags rejects a configuration flagd-core loads', expected: 'loaded', ours: r.error });
    continue;
  }
  if (!oursOk) {
    loadStats.bothReject++;
    continue;
  }
  loadStats.bothLoad++;
  if (!o.strict.ok) loadStats.strictRejects++;
  if (r.warnings) loadStats.warned = (loadStats.warned || 0) + (r.warnings.length ? 1 : 0);
  const evaluators = parsed && parsed.$evaluators;
  const oracleResults = new Map(o.results.map((x) => [x.id, x]));
  const ourResults = new Map(r.results.map((x) => [x.id, x]));
  for (const c of cfg.cases) {
    const exp = oracleResults.get(c.id);
    const got = ourResults.get(c.id);
    if (!exp || !got) {
      disagreements.push({ kind: 'missing-output', focus: c.focus, config: cfg, c, detail: `no result for case ${c.id}` });
      continue;
    }
    compared++;
    const flag = parsed && parsed.flags && parsed.flags[c.flag];
    const ops = flag && flag.targeting ? operators(flag.targeting, evaluators) : new Set();
    if (flag && flag.state === 'DISABLED') ops.add('(disabled flag)');
    if (flag && flag.state !== 'DISABLED' && (!flag.targeting || Object.keys(flag.targeting).length === 0)) ops.add('(static flag)');
    if (flag && (flag.defaultVariant === null || flag.defaultVariant === undefined)) ops.add('(null/absent defaultVariant)');
    if (!flag) ops.add('(flag not found)');
    if (c.focus === 'malformed' || c.focus.startsWith('load:')) ops.add(`(${c.focus})`);
    if (c.focus === 'malformed') {
      const key = `${cfg.id}/${c.flag}`;
      if (!malformedFlags.has(key)) malformedFlags.set(key, (r.warnings || []).some((w) => w.flag === c.flag));
    }
    if (exp.errorCode === 'TYPE_MISMATCH') ops.add('(type mismatch)');
    if (exp.reason === 'ERROR' && exp.errorCode === 'GENERAL') ops.add('(result names no variant / runtime error)');
    const outcome = exp.reason + (exp.errorCode ? `/${exp.errorCode}` : '');
    for (const op of ops) {
      const entry = coverage.get(op) || { cases: 0, outcomes: {} };
      entry.cases++;
      entry.outcomes[outcome] = (entry.outcomes[outcome] || 0) + 1;
      coverage.set(op, entry);
    }
    focusCount.set(c.focus, (focusCount.get(c.focus) || 0) + 1);
    if (exp.raw) {
      for (const name of exp.corrections || ['?']) {
        const entry = corrections.get(name) || { cases: 0, oursMatchesRaw: 0 };
        entry.cases++;
        if (FIELDS.every((f) => same(exp.raw[f], got[f]))) entry.oursMatchesRaw++;
        corrections.set(name, entry);
      }
    }
    const differing = FIELDS.filter((f) => !same(exp[f], got[f]));
    if (differing.length) {
      disagreements.push({ kind: 'eval', focus: c.focus, config: cfg, c, flag, evaluators, ops: [...ops], expected: exp, ours: got, differing });
    }
  }
}

// ---------------------------------------------------------------- output
const pad = (s, n) => String(s).padEnd(n);
function flagText(d) {
  if (!d.flag) {
    const parsed = parseConfig(d.config.text);
    const text = parsed === null ? d.config.text : JSON.stringify(parsed);
    return text.length > 1500 ? `${text.slice(0, 1500)}...` : text;
  }
  const shown = { flag: d.c.flag, definition: d.flag };
  if (d.evaluators && d.ops.includes('$ref')) shown.$evaluators = d.evaluators;
  const parsed = parseConfig(d.config.text);
  if (parsed && parsed.metadata) shown.flagSetMetadata = parsed.metadata;
  return JSON.stringify(shown);
}
function brief(x) {
  if (!x || typeof x !== 'object') return String(x);
  const { id, raw, corrections: _c, errorMessage, ...rest } = x;
  return JSON.stringify(rest) + (errorMessage ? ` message: ${errorMessage}` : '');
}
function describe(d, i) {
  const lines = [];
  if (d.kind === 'eval') {
    lines.push(`#${i} [${d.focus}] case ${d.c.id}, configuration ${d.config.id} (${d.config.category}); differs in: ${d.differing.join(', ')}`);
    lines.push(`  flag:       ${flagText(d)}`);
    lines.push(`  request:    type ${d.c.type} (Rust ${d.c.rust}), default ${JSON.stringify(d.c.default)}`);
    lines.push(`  context:    ${JSON.stringify(d.c.context)}`);
    lines.push(`  flagd-core: ${brief(d.expected)}`);
    if (d.expected.raw) lines.push(`  (flagd-core before spec corrections ${d.expected.corrections.join(', ')}: ${brief(d.expected.raw)})`);
    lines.push(`  flags:      ${brief(d.ours)}`);
    if (d.flag && d.flag.targeting && d.flag.state !== 'DISABLED') {
      lines.push('  flagd-core\'s value of each operation, innermost first (iteration bodies against the whole context):');
      for (const line of explain(d.flag.targeting, d.evaluators, d.c.flag, d.c.context)) lines.push(`    ${line}`);
    }
  } else {
    lines.push(`#${i} [${d.focus}] configuration ${d.config.id}: ${d.detail}`);
    const parsed = parseConfig(d.config.text);
    const text = parsed === null ? d.config.text : JSON.stringify(parsed);
    lines.push(`  config:     ${text.length > 1500 ? `${text.slice(0, 1500)}...` : text}`);
    if (d.expected !== undefined) lines.push(`  flagd-core: ${d.expected}`);
    if (d.ours !== undefined) lines.push(`  flags:      ${d.ours}`);
  }
  return lines.join('\n');
}

const opRows = [...coverage.entries()].sort((a, b) => b[1].cases - a[1].cases);
console.log('coverage: cases compared per operator (outcomes as flagd-core reports them)');
for (const [op, e] of opRows) {
  const outs = Object.entries(e.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`  ${pad(op, 40)} ${pad(e.cases, 6)} ${outs}`);
}
const missingOps = [...OPERATORS].filter((op) => !coverage.has(op));
if (missingOps.length) console.log(`  operators never exercised: ${missingOps.join(' ')}`);
console.log(`load level: ${loadChecks} configurations; both load ${loadStats.bothLoad} (of which flagd's strict schema validation rejects ${loadStats.strictRejects}; flags reports warnings for ${loadStats.warned || 0}), both reject ${loadStats.bothReject}, not a flag definition file (documented difference) ${loadStats.notFlagd}`);
if (malformedFlags.size) {
  const warned = [...malformedFlags.values()].filter(Boolean).length;
  console.log(`malformed rules: ${malformedFlags.size} flags, ${warned} with a load warning naming them (the rest are malformed only once computed)`);
}
for (const [name, e] of corrections) {
  console.log(`spec correction ${name}: changes flagd-core's answer in ${e.cases} cases (flags agrees with the uncorrected answer in ${e.oursMatchesRaw})`);
}

// Kinds: focus + the fields that differ + outcome pair.
function outcomeOf(x) {
  return x ? `${x.reason}${x.errorCode ? `/${x.errorCode}` : ''}` : '?';
}
function kindOf(d) {
  if (d.kind !== 'eval') return `${d.focus} | ${d.detail}`;
  return `${d.focus} | ${d.differing.join('+')} | flagd-core ${outcomeOf(d.expected)} vs flags ${outcomeOf(d.ours)}`;
}
const kinds = new Map();
for (const d of disagreements) {
  const k = kindOf(d);
  const e = kinds.get(k) || { count: 0, example: d, size: Infinity };
  e.count++;
  const size = (d.kind === 'eval' ? flagText(d).length + JSON.stringify(d.c.context).length : d.config.text.length);
  if (size < e.size) {
    e.size = size;
    e.example = d;
  }
  kinds.set(k, e);
}

if (disagreements.length) {
  // One example per kind first (most frequent kinds first), then the rest in order.
  const firsts = [...kinds.values()].sort((x, y) => y.count - x.count).map((e) => e.example);
  const shown = [...new Set([...firsts, ...disagreements])].slice(0, opts.show);
  console.log(`\n${shown.length} of ${disagreements.length} disagreements (the smallest example of each kind first):`);
  shown.forEach((d, i) => console.log(describe(d, i + 1)));
  console.log('\ndisagreements by kind (focus | differing fields | outcomes):');
  for (const [k, e] of [...kinds.entries()].sort((a, b) => b[1].count - a[1].count)) console.log(`  ${pad(e.count, 6)} ${k}`);
}
const loadDis = disagreements.filter((d) => d.kind !== 'eval').length;
console.log(`\n${totalCases} cases (${compared} evaluated by both, ${loadChecks} configurations checked for load agreement), ${disagreements.length} disagreements (${loadDis} load-level, ${disagreements.length - loadDis} evaluation)`);

if (opts.report) {
  const md = [];
  md.push('# Differential test report: flags vs @openfeature/flagd-core 4.0.1');
  md.push('');
  md.push(`Generated by \`conformance/flagd/run.sh\` (seed ${cases.seed}) on ${new Date().toISOString()}.`);
  md.push(`${totalCases} cases, ${compared} evaluated by both; ${disagreements.length} disagreements (${loadDis} load-level, ${disagreements.length - loadDis} evaluation).`);
  md.push('');
  md.push('Expected = flagd-core with the spec corrections listed in `conformance/flagd/oracle.js` (UTF-8 hashing, null bucketing value dropped, scalar flag metadata).');
  for (const [name, e] of corrections) md.push(`- correction \`${name}\` changed flagd-core's answer in ${e.cases} cases; flags matches the uncorrected answer in ${e.oursMatchesRaw}.`);
  md.push('');
  md.push('## Disagreements by kind (focus category | fields | flagd-core outcome vs ours), with the smallest example');
  md.push('');
  let n = 0;
  for (const [k, e] of [...kinds.entries()].sort((a, b) => b[1].count - a[1].count)) {
    n++;
    md.push(`### ${n}. ${k} — ${e.count} case(s)`);
    md.push('');
    md.push('```');
    md.push(describe(e.example, n));
    md.push('```');
    md.push('');
  }
  md.push('## Coverage (cases compared per operator)');
  md.push('');
  for (const [op, e] of opRows) md.push(`- \`${op}\`: ${e.cases}`);
  fs.writeFileSync(opts.report, `${md.join('\n')}\n`);
}
process.exit(disagreements.length ? 1 : 0);
