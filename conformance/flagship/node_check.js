// Writes what node itself answers for the JavaScript coercions Flagship's rules use, on the
// edge values: String(x) of numbers, Number(x) of text (the data plane reads blank text as
// NaN), Date.parse of date strings. The Rust unit test `engine::flagship::coerce::tests::
// node_agrees` checks ours against the file (the committed js-edges.json, or the one run.sh
// writes, named by FLAGSHIP_JS_EDGES).
//
//   node node_check.js OUT.json
//
// Dates: `port: false` marks the forms the data plane's Python port (the oracle) does not read
// as dates although V8 does (or the other way round); ours follows the port there, reading
// them as no date, so their expectation is null.
"use strict";
const fs = require("fs");

const numbers = [0, -0, 1, -1, 1.5, 0.1 + 0.2, 1e21, 1e20, 123456789012345680000, 1e-6, 1e-7, 1.5e-7,
  1.25e22, -1.5e300, 5e-324, 1.7976931348623157e308, 9007199254740993, 2 ** 53, 2 ** 63, 100, 0.000123,
  123.456, -0.0000015, 1e100, Infinity, -Infinity, NaN, 4.35, 0.5e-6, 999999999999999900000];
const texts = ["", " ", "\t\n\v\f\r", "\u00a0", "\ufeff", "\u2028\u2029", "\u1680\u2000\u200a\u202f\u205f\u3000",
  "12", " 12 ", "\u00a012\u3000", "+12", "-12", "1e3", "1E3", "1e+3", "1e-3", ".5", "5.", "-.5", "+.5",
  ".", "e3", "1e", "1e+", "0x10", "0X1f", "0xfF", "0b101", "0B11", "0o17", "0O7", "-0x10", "+0x10", "0x",
  "0b2", "0o8", "0xg", "0x1.5", "00", "007", "0.0", "-0", "Infinity", "-Infinity", "+Infinity",
  "infinity", "INFINITY", "inf", "-inf", "nan", "NaN", "1_000", "1,000", "1 000", "12px", "abc",
  "0x20000000000001", "0x20000000000003", "0x" + "f".repeat(300), "1e400", "-1e400", "1e-400",
  "123456789012345678901234567890", "0.1", "9007199254740993", "\u0661", "\u001c5", "5\u0085"];
const dates = [
  ["2024-01-01", true], ["2024-01-01Z", true], ["2024-01-01T10:00", true], ["2024-01-01T10:00Z", true],
  ["2024-01-01T10:00:00", true], ["2024-01-01T10:00:00Z", true], ["2024-01-01 10:00:00Z", true],
  ["2024-01-01T10:00:00.5Z", true], ["2024-01-01T10:00:00.12Z", true], ["2024-01-01T10:00:00.1239Z", true],
  ["2024-01-01T10:00:00.123456789+02:00", true], ["2024-01-01T10:00:00+0200", true],
  ["2024-01-01T10:00:00-23:59", true], ["1969-12-31T23:59:59.9995Z", true], ["0001-01-01T00:00:00Z", true],
  ["2024-02-29T00:00:00Z", true], ["9999-12-31T23:59:59.999Z", true], ["1970-01-01T00:00:00Z", true],
  ["2024-01", false], ["2024", false], ["2024-01-01T10", false], ["2024-01-01t10:00:00z", false],
  ["2024-01-01T24:00:00Z", false], ["2024-02-30T00:00:00Z", false], ["2023-02-29T00:00:00Z", false],
  ["0000-01-01T00:00:00Z", false], ["2024-01-01T10:00:00.Z", false], ["2024-01-01T10:00:00+02", false],
  ["2024-01-01T10:00:60Z", false], ["2024-01-01T10:00:00+24:00", false], [" 2024-01-01T10:00:00Z", false],
  ["20240101T100000Z", false], ["yesterday", false], ["", false],
];

const number = (s) => (s.trim() === "" ? NaN : Number(s));
const json = (n) => (Number.isNaN(n) ? "NaN" : n === Infinity ? "Infinity" : n === -Infinity ? "-Infinity" : n);
const out = {
  node: process.version,
  string: numbers.map((n) => [json(n), String(n)]),
  number: texts.map((s) => [s, json(number(s))]),
  date: dates.map(([s, port]) => {
    const ms = Date.parse(s);
    return { text: s, node: Number.isNaN(ms) ? null : ms, ours: port && !Number.isNaN(ms) ? ms : null };
  }),
};
// One entry per line, so that a change reads as a diff of the values that changed.
const lines = (items) => items.map((item) => "  " + JSON.stringify(item)).join(",\n");
fs.writeFileSync(process.argv[2], `{\n "node": ${JSON.stringify(out.node)},\n "string": [\n${lines(out.string)}\n ],\n` +
  ` "number": [\n${lines(out.number)}\n ],\n "date": [\n${lines(out.date)}\n ]\n}\n`);
