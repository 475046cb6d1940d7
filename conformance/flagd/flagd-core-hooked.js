// flagd-core, loaded with two hooks (see oracle.js): spec corrections that can be switched on
// per evaluation, and access to flagd's custom JSON Logic operators so that single
// sub-expressions can be evaluated as flagd-core evaluates them (`explain`).
'use strict';
const path = require('path');
const Module = require('module');

const CORRECT = { on: false, hits: new Set() };
const CUSTOM = {};

// Hook the hash module flagd-core loads, before loading flagd-core.
const coreDir = path.dirname(require.resolve('@openfeature/flagd-core'));
const requireFromCore = Module.createRequire(path.join(coreDir, 'index.cjs.js'));
const murmurPath = requireFromCore.resolve('imurmurhash');
const Murmur = requireFromCore('imurmurhash');
function utf8Binary(s) {
  return Buffer.from(String(s), 'utf8').toString('latin1');
}
function PatchedMurmur(key, seed) {
  if (CORRECT.on && typeof key === 'string' && /[^\x00-\x7f]/.test(key)) {
    CORRECT.hits.add('utf8-hash');
    return new Murmur(utf8Binary(key), seed);
  }
  return new Murmur(key, seed);
}
require.cache[murmurPath].exports = PatchedMurmur;

const jle = requireFromCore('json-logic-engine');
const addMethod = jle.LogicEngine.prototype.addMethod;
jle.LogicEngine.prototype.addMethod = function (name, method, ...rest) {
  if (name === 'fractional') {
    const original = method;
    method = function (data, context, ...more) {
      if (CORRECT.on && Array.isArray(data) && data.length > 0) {
        if (data[0] === null || data[0] === undefined) {
          CORRECT.hits.add('fractional-null-key');
          data = data.slice(1);
          // What follows a null bucketing value are buckets: a string there is a malformed
          // bucket (null), not the bucketing value.
          if (typeof data[0] === 'string') return null;
        }
        if (typeof data[0] !== 'string') {
          const tk = context && context.targetingKey;
          if (tk !== undefined && tk !== null && tk !== '' && typeof tk !== 'string') {
            CORRECT.hits.add('fractional-null-key');
            return null;
          }
        }
      }
      return original.call(this, data, context, ...more);
    };
  }
  CUSTOM[name] = method;
  return addMethod.call(this, name, method, ...rest);
};



// Every operation inside a rule (with `$ref`s replaced by their evaluators), innermost first,
// with the value flagd-core's JSON Logic engine gives it for `ctx` (or how it fails: at build,
// which flagd-core reports as PARSE_ERROR, or at run, reported as GENERAL).
function explain(rule, evaluators, flagKey, ctx, limit = 25) {
  const expand = (r) => {
    if (Array.isArray(r)) return r.map(expand);
    if (r && typeof r === 'object') {
      const keys = Object.keys(r);
      if (keys.length === 1 && keys[0] === '$ref' && evaluators && evaluators[r.$ref] !== undefined) return evaluators[r.$ref];
      const out = {};
      for (const k of keys) out[k] = expand(r[k]);
      return out;
    }
    return r;
  };
  const nodes = [];
  const walk = (r) => {
    if (Array.isArray(r)) return r.forEach(walk);
    if (r && typeof r === 'object') {
      const keys = Object.keys(r);
      for (const k of keys) walk(r[k]);
      if (keys.length === 1) nodes.push(r);
    }
  };
  walk(expand(rule));
  const engine = new jle.LogicEngine();
  for (const [name, method] of Object.entries(CUSTOM)) addMethod.call(engine, name, method);
  const data = Object.assign({}, ctx, {
    $flagd: { flagKey, timestamp: Math.floor(Date.now() / 1000) },
    [Symbol.for('flagd.logger')]: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const lines = [];
  const seen = new Set();
  const wasOn = CORRECT.on;
  CORRECT.on = true;
  for (const node of nodes) {
    const text = JSON.stringify(node);
    if (seen.has(text) || lines.length >= limit) continue;
    seen.add(text);
    let result;
    let built;
    try {
      built = engine.build(node);
    } catch (e) {
      lines.push(`${text} => throws when built (${e && e.type ? e.type : String(e)})`);
      continue;
    }
    try {
      result = built(data);
      lines.push(`${text} => ${result === undefined ? 'undefined' : JSON.stringify(result)}`);
    } catch (e) {
      lines.push(`${text} => throws (${e && e.type ? e.type : String(e)})`);
    }
  }
  CORRECT.on = wasOn;
  return lines;
}

const { FlagdCore, MemoryStorage } = require('@openfeature/flagd-core');
// Building one targeted flag registers flagd's custom operators with the hook (for `explain`).
new FlagdCore(undefined, { debug() {}, info() {}, warn() {}, error() {} }).setConfigurations(
  '{"flags":{"x":{"state":"ENABLED","variants":{"a":true},"defaultVariant":"a","targeting":{"==":[1,1]}}}}',
);
module.exports = { FlagdCore, MemoryStorage, CORRECT, explain };
