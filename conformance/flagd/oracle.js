#!/usr/bin/env node
// Evaluates the generated cases with the official flagd evaluator, `@openfeature/flagd-core`,
// through its public API (`FlagdCore.setConfigurations` + `resolve*Evaluation`).
// Usage: node oracle.js CASES.json OUT.json
//
// Per configuration it records whether flagd-core loads it (`lax`: what `setConfigurations`
// does, schema problems only logged) and whether it passes flagd-core's strict validation
// (`strict`: `MemoryStorage.setConfigurations(text, true)`). Per case it records value, variant,
// reason, error code and flag metadata.
//
// Spec corrections. flagd-core 4.0.1 departs from the flagd specification (flagd's
// `fractional` as written in the flagd docs and implemented by the flagd daemon) in two places.
// Each case is evaluated twice: as flagd-core does it (`raw`) and with these departures
// corrected (the expected result); when they differ the case carries both, and the comparer
// counts and reports them:
// - `utf8-hash`: the bucketing key is hashed with MurmurHash3 over its UTF-8 bytes; flagd-core's
//   `imurmurhash` hashes UTF-16 code units, so non-ASCII keys land in other buckets.
// - `fractional-null-key`: a first argument evaluating to null is dropped and the key falls back
//   to flagKey + targetingKey; flagd-core treats the null as a malformed bucket (null result).
//   A targeting key that is not a string gives null (flagd-core concatenates it).
// - `metadata-scalars`: flag metadata holds booleans, strings and numbers (the OpenFeature
//   specification's flag metadata, and flagd's schema); flagd-core passes other values through
//   from the file, they are left out here (and we leave them out when loading, with a warning).
//
// FLAGD_CORE_INTERPRETED=1 evaluates with flagd-core's interpreter (`disableDynamicCodeGeneration`)
// instead of its default compiled rules; the two modes do not always agree (see README.md).
'use strict';
const fs = require('fs');

const { FlagdCore, MemoryStorage, CORRECT } = require('./flagd-core-hooked');

const [casesPath, outPath] = process.argv.slice(2);
if (!casesPath || !outPath) {
  console.error('usage: node oracle.js CASES.json OUT.json');
  process.exit(2);
}
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const doc = JSON.parse(fs.readFileSync(casesPath, 'utf8'));

function load(text, strict) {
  const storage = new MemoryStorage(silent);
  try {
    storage.setConfigurations(text, strict);
    return { ok: true };
  } catch (e) {
    const cause = e.cause ? `: ${e.cause.message || e.cause}` : '';
    return { ok: false, error: `${e.message}${cause}`.slice(0, 400) };
  }
}

function resolve(core, c) {
  const ctx = JSON.parse(JSON.stringify(c.context));
  let r;
  switch (c.type) {
    case 'boolean': r = core.resolveBooleanEvaluation(c.flag, c.default, ctx, silent); break;
    case 'string': r = core.resolveStringEvaluation(c.flag, c.default, ctx, silent); break;
    case 'number': r = core.resolveNumberEvaluation(c.flag, c.default, ctx, silent); break;
    default: r = core.resolveObjectEvaluation(c.flag, c.default, ctx, silent);
  }
  return {
    value: r.value === undefined ? null : r.value,
    variant: r.variant === undefined ? null : r.variant,
    reason: r.reason,
    errorCode: r.errorCode === undefined ? null : r.errorCode,
    metadata: scalarMetadata(r.flagMetadata || {}),
  };
}

function scalarMetadata(metadata) {
  if (!CORRECT.on) return metadata;
  const out = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else CORRECT.hits.add('metadata-scalars');
  }
  return out;
}

const started = Date.now();
const out = { configs: [] };
for (const cfg of doc.configs) {
  const lax = load(cfg.text, false);
  const strict = load(cfg.text, true);
  const entry = { id: cfg.id, lax, strict, results: [] };
  if (lax.ok) {
    const core = new FlagdCore(undefined, silent, { disableDynamicCodeGeneration: process.env.FLAGD_CORE_INTERPRETED === '1' });
    core.setConfigurations(cfg.text);
    for (const c of cfg.cases) {
      CORRECT.on = false;
      const raw = resolve(core, c);
      CORRECT.on = true;
      CORRECT.hits.clear();
      const fixed = resolve(core, c);
      CORRECT.on = false;
      const result = { id: c.id, ...fixed };
      if (JSON.stringify(raw) !== JSON.stringify(fixed)) {
        result.raw = raw;
        result.corrections = [...CORRECT.hits];
      }
      entry.results.push(result);
    }
  }
  out.configs.push(entry);
}
fs.writeFileSync(outPath, JSON.stringify(out));
console.error(`flagd-core: ${doc.configs.length} configurations in ${Date.now() - started} ms`);
