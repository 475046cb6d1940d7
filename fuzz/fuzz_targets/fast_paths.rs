//! The specialised forms of common rule shapes against the general evaluation they stand in
//! for, on rules and contexts built from the input: flagd's string operators and `fractional`
//! (every version, every kind of bucketing key, odd weights and bucket names, flag keys and
//! targeting keys of every length), GO Feature Flag's one-comparison queries and simple flags.
//! A disagreement panics (`flags_runtime::fuzzing::flagd_specialised`,
//! `gofeatureflag_specialised`). The input is read as choices, so that most inputs build a
//! rule of a specialised shape.
#![no_main]
use flags_fuzz as _; // the bounded allocator
use flags_runtime::Context;
use flags_runtime::Value;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value as Json, json};

/// The input, read a choice at a time (zeros once it is spent), and the texts made so far: an
/// attribute is often one of them changed a little (its case, a character that lowers to an
/// ASCII letter, more around it), so that comparisons meet near misses and not only strangers.
struct Choices<'a> {
    input: &'a [u8],
    texts: Vec<String>,
}

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.input {
            [first, rest @ ..] => {
                self.input = rest;
                *first
            }
            [] => 0,
        }
    }

    /// One of the texts made so far, changed by a choice or two.
    fn related(&mut self) -> String {
        if self.texts.is_empty() {
            return self.text();
        }
        let mut text = self.pick(&self.texts.clone());
        for _ in 0..1 + self.byte() % 2 {
            text = match self.byte() % 9 {
                0 => text.to_uppercase(),
                1 => text.to_ascii_uppercase(),
                2 => text.replace(['k', 'K'], "\u{212A}"),
                3 => text.replace('i', "\u{130}").replace('I', "ı"),
                4 => self.text() + &text,
                5 => text + &self.text(),
                6 => {
                    let cut = usize::from(self.byte()) % (text.chars().count() + 1);
                    text.chars().take(cut).collect()
                }
                7 => {
                    let cut = usize::from(self.byte()) % (text.chars().count() + 1);
                    text.chars().skip(cut).collect()
                }
                _ => text,
            };
        }
        text
    }

    fn pick<T: Clone>(&mut self, from: &[T]) -> T {
        from[usize::from(self.byte()) % from.len()].clone()
    }

    /// A text of up to 47 characters from an alphabet of ASCII in both cases, the characters
    /// that bucketing and case folding treat apart, and multi-byte ones.
    fn text(&mut self) -> String {
        const ALPHABET: &[char] = &[
            'a', 'b', 'e', 'k', 'z', 'A', 'K', 'Z', '0', '9', '@', '.', '-', '_', ' ', '"', '\\',
            'é', 'ß', 'ü', '\u{212A}', '\u{130}', '\u{307}', 'ı', '😀', '\0',
        ];
        let len = usize::from(self.byte() % 48);
        let text: String = (0..len).map(|_| self.pick(ALPHABET)).collect();
        self.texts.push(text.clone());
        text
    }

    /// An attribute's value: mostly a text, sometimes another kind.
    fn value(&mut self) -> Value {
        match self.byte() % 10 {
            0 => Value::Int(i64::from(self.byte()) - 100),
            1 => Value::Float(f64::from(self.byte()) / 4.0),
            2 => Value::Bool(self.byte().is_multiple_of(2)),
            3 => Value::Null,
            4 => Value::List(vec![Value::from(self.text())]),
            5 | 6 => Value::from(self.text()),
            _ => Value::from(self.related()),
        }
    }

    /// A context: a targeting key or none, and some of `email`, `n`, `name`, `key`,
    /// `targetingKey` (an attribute of that name), `a`.
    fn context(&mut self) -> Context {
        let mut ctx = match self.byte() % 4 {
            0 => Context::anonymous(),
            1 => Context::new(self.text()),
            _ => Context::new(self.related()),
        };
        for name in ["email", "n", "name", "key", "targetingKey", "a"] {
            if !self.byte().is_multiple_of(3) {
                let value = self.value();
                ctx.set(name, value);
            }
        }
        ctx
    }

    /// A literal a rule answers or buckets on.
    fn branch(&mut self) -> Json {
        self.pick(&[
            json!("on"),
            json!("off"),
            json!("red"),
            json!("green"),
            json!("blue"),
            json!("true"),
            json!("1"),
            json!("2.5"),
            json!("null"),
            json!("nope"),
            json!(null),
            json!(true),
            json!(false),
            json!(1),
            json!(2.5),
            json!(["on"]),
        ])
    }

    /// A flagd rule of a specialised shape, or near one.
    fn flagd_rule(&mut self) -> Json {
        let attribute = |c: &mut Self| c.pick(&["email", "n", "absent", "targetingKey"]);
        match self.byte() % 3 {
            0 => {
                let op = self.pick(&["starts_with", "ends_with"]);
                let affix = match self.byte() % 8 {
                    0 => json!(3),
                    _ => json!(self.text()),
                };
                json!({"if": [
                    {op: [{"var": attribute(self)}, affix]},
                    self.branch(),
                    self.branch(),
                ]})
            }
            _ => {
                let part = |c: &mut Self| match c.byte() % 4 {
                    0 => json!({"var": "$flagd.flagKey"}),
                    1 => json!("-"),
                    _ => json!({"var": attribute(c)}),
                };
                let mut args = match self.byte() % 4 {
                    0 => vec![],
                    1 => vec![part(self)],
                    _ => {
                        let parts = (0..1 + self.byte() % 5).map(|_| part(self)).collect();
                        vec![json!({ "cat": Json::Array(parts) })]
                    }
                };
                for _ in 0..1 + self.byte() % 6 {
                    let name = self.branch();
                    let weight = self.pick(&[
                        json!(0),
                        json!(1),
                        json!(2),
                        json!(3),
                        json!(7),
                        json!(50),
                        json!(100),
                        json!(2_147_483_647),
                        json!(4_294_967_296_u64),
                        json!(-1),
                        json!(0.5),
                        json!(null),
                    ]);
                    args.push(match self.byte() % 10 {
                        0 => json!([name]),
                        1 => name,
                        _ => json!([name, weight]),
                    });
                }
                json!({ "fractional": args })
            }
        }
    }

    /// A GO Feature Flag query of one comparison, or near one.
    fn query(&mut self) -> String {
        let attribute = self.pick(&[
            "email",
            "key",
            "targetingKey",
            "anonymous",
            "name",
            "a",
            "a.b",
        ]);
        let op = self.pick(&["eq", "ne", "lt", "gt", "le", "ge", "co", "sw", "ew", "in"]);
        let literal = match self.byte() % 8 {
            0 => self
                .pick(&["3", "3.5", "true", "null", "[\"a\", \"ada\"]"])
                .to_owned(),
            _ => serde_json::to_string(&self.text()).unwrap_or_default(),
        };
        match self.byte() % 10 {
            0 => format!("not {attribute} {op} {literal}"),
            1 => format!("({attribute} {op} {literal})"),
            2 => format!("{attribute} {op} {literal} and name pr"),
            _ => format!("{attribute} {op} {literal}"),
        }
    }

    /// A GO Feature Flag flag around `query`: of the simple shape mostly.
    fn flag(&mut self, query: &str) -> Json {
        let serve = |c: &mut Self| match c.byte() % 6 {
            0 => json!({"variation": "none"}),
            1 => json!({"variation": "missing"}),
            2 => json!({"percentage": {"on": 50, "off": 50}}),
            _ => json!({"variation": c.pick(&["on", "off"])}),
        };
        let mut rule = serve(self);
        rule["name"] = json!("rule");
        rule["query"] = json!(query);
        if self.byte().is_multiple_of(8) {
            rule["disable"] = json!(true);
        }
        let mut flag = json!({
            "variations": {"on": true, "off": false, "none": null},
            "targeting": [rule, {"name": "second", "query": "name sw \"a\"", "variation": "off"}],
            "defaultRule": serve(self),
        });
        match self.byte() % 8 {
            0 => flag["bucketingKey"] = json!("name"),
            1 => flag["disable"] = json!(true),
            2 => flag["targeting"] = json!([]),
            _ => {}
        }
        flag
    }
}

fuzz_target!(|data: &[u8]| {
    let mut choices = Choices {
        input: data,
        texts: Vec::new(),
    };
    let rule = choices.flagd_rule();
    let flag_key = match choices.byte() % 4 {
        0 => "f".to_owned(),
        1 => "rollout".to_owned(),
        _ => choices.text(),
    };
    let query = choices.query();
    let flag = choices.flag(&query);
    let ctx = choices.context();
    flags_runtime::fuzzing::flagd_specialised(&rule, &flag_key, &ctx);
    flags_runtime::fuzzing::gofeatureflag_specialised(&query, &flag, &ctx);
});
