//! The rules of `ARCHITECTURE.md` that a build can break without noticing: the dependencies
//! that must never exist between the crates, and import circles of more than three files
//! within a crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The output of `cargo tree -p package -e normal` with `args`, one line per crate.
fn cargo_tree(package: &str, args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--offline", "-e", "normal", "-p", package])
        .args(args)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The crate names in the normal dependency tree of `package` (itself included).
fn tree(package: &str, all_features: bool) -> BTreeSet<String> {
    let features: &[&str] = if all_features {
        &["--all-features"]
    } else {
        &[]
    };
    cargo_tree(package, &[&["--prefix", "none"], features].concat())
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Fails naming every crate of `forbidden` found in the tree of `package`.
fn never(package: &str, all_features: bool, forbidden: &[&str], why: &str) {
    let tree = tree(package, all_features);
    let found: Vec<&str> = forbidden
        .iter()
        .copied()
        .filter(|name| {
            tree.iter().any(|c| {
                c == name || (name.ends_with('*') && c.starts_with(name.trim_end_matches('*')))
            })
        })
        .collect();
    assert!(
        found.is_empty(),
        "{package} must not depend on {found:?} ({why}); see ARCHITECTURE.md"
    );
}

/// HTTP and async crates: what the compile-time crates never pull in.
const NETWORK: &[&str] = &[
    "reqwest",
    "hyper",
    "hyper-util",
    "h2",
    "tokio",
    "rustls",
    "mio",
    "futures*",
    "async-*",
    "flags-http",
];

#[test]
fn the_runtime_never_depends_on_the_macros() {
    never(
        "flags-runtime",
        true,
        &["flags-codegen", "flags-macro"],
        "programs would compile the macros' code generator",
    );
}

#[test]
fn the_macros_never_depend_on_the_network_or_the_runtime() {
    for package in ["flags-codegen", "flags-macro"] {
        let mut forbidden = NETWORK.to_vec();
        forbidden.push("flags-runtime");
        never(
            package,
            true,
            &forbidden,
            "the compiler would build an HTTP stack for every crate that uses a macro",
        );
    }
}

#[test]
fn the_schema_depends_on_no_crate_of_ours() {
    let ours = [
        "flags",
        "flags-runtime",
        "flags-codegen",
        "flags-macro",
        "flags-build",
        "flags-http",
        "flags-cli",
    ];
    never(
        "flags-schema",
        true,
        &ours,
        "every crate reads definitions through it",
    );
}

#[test]
fn the_build_helper_never_depends_on_the_runtime() {
    never(
        "flags-build",
        true,
        &["flags-runtime"],
        "a build script would compile the runtime",
    );
    never(
        "flags-build",
        false,
        &["clap", "prettyplease", "flags-codegen", "flags-runtime"],
        "its default features are what every user's build script compiles; the command line is flags-cli",
    );
    // syn and proc-macro2 come with serde's and thiserror's derives; flags-build itself must
    // not parse Rust.
    let direct = direct_dependencies("flags-build");
    for name in ["syn", "proc-macro2", "quote"] {
        assert!(
            !direct.contains(name),
            "flags-build must not depend on {name} itself (parsing Rust is flags-cli's job)"
        );
    }
}

/// The crates `package` names in its own `[dependencies]` with default features.
fn direct_dependencies(package: &str) -> BTreeSet<String> {
    cargo_tree(package, &["--prefix", "depth", "--depth", "1"])
        .lines()
        .filter_map(|line| line.strip_prefix('1'))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The `.rs` files of a crate's `src/`, by module path (`a/b.rs` and `a/b/mod.rs` are `a::b`).
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<Vec<String>, PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).expect("under the root");
                let mut parts: Vec<String> = relative
                    .with_extension("")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    parts.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    parts.pop();
                }
                out.insert(parts, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

/// The code of a file without its comments and its `#[cfg(test)] mod tests` (test modules
/// may import what they test from anywhere).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a file names: `crate::a::b`, `super::c`, and the items of
/// `use crate::{a::X, b}`.
fn named_paths(module: &[String], text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    // The identifiers of a path, up to the first segment that does not end where the next
    // `::` starts (`a::B;` is `[a, B]`).
    let path_at = |rest: &str| -> Vec<String> {
        let mut path = Vec::new();
        for segment in rest.split("::") {
            let ident: String = segment
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let whole = ident.len() == segment.len();
            if ident.is_empty() {
                break;
            }
            path.push(ident);
            if !whole {
                break;
            }
        }
        path
    };
    for (at, _) in text.match_indices("crate::") {
        let boundary = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if !boundary {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find("};").unwrap_or(group.len());
            for item in group[..end].split(',') {
                out.push(path_at(item.trim()));
            }
        } else {
            out.push(path_at(rest));
        }
    }
    for (at, _) in text.match_indices("super::") {
        let boundary = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
        if !boundary {
            continue;
        }
        let mut path: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
        path.extend(path_at(&text[at + "super::".len()..]));
        out.push(path);
    }
    out
}

/// The files of `src` and the files each one imports from.
fn import_graph(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules = modules(src);
    let mut graph = BTreeMap::new();
    for (module, path) in &modules {
        let text = code(&std::fs::read_to_string(path).expect("readable"));
        let mut edges = BTreeSet::new();
        for named in named_paths(module, &text) {
            // The longest prefix that is a file.
            for n in (1..=named.len()).rev() {
                if modules.contains_key(&named[..n]) {
                    if named[..n] != module[..] {
                        edges.insert(named[..n].to_vec());
                    }
                    break;
                }
            }
        }
        graph.insert(module.clone(), edges);
    }
    graph
}

/// Strongly connected components (Tarjan), iteratively.
fn circles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    let nodes: Vec<&Vec<String>> = graph.keys().collect();
    let id: BTreeMap<&Vec<String>, usize> =
        nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let edges: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| graph[*n].iter().map(|m| id[m]).collect())
        .collect();
    let (mut index, mut low) = (vec![usize::MAX; nodes.len()], vec![0; nodes.len()]);
    let (mut stack, mut on_stack, mut next, mut out) =
        (Vec::new(), vec![false; nodes.len()], 0, Vec::new());
    for root in 0..nodes.len() {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0)];
        while let Some((v, i)) = work.pop() {
            if i == 0 {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(i) {
                work.push((v, i + 1));
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(nodes[w].join("/"));
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    out.push(component);
                }
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
        }
    }
    out
}

#[test]
fn no_import_circle_of_more_than_three_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut long = Vec::new();
    for krate in [
        "src",
        "flags-runtime/src",
        "flags-http/src",
        "flags-build/src",
        "flags-cli/src",
        "flags-codegen/src",
        "flags-macro/src",
        "schema/src",
    ] {
        let src = root.join(krate);
        if !src.is_dir() {
            continue;
        }
        for circle in circles(&import_graph(&src)) {
            if circle.len() > 3 {
                long.push(format!("{krate}: {}", circle.join(", ")));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files that import each other in a circle of more than three (ARCHITECTURE.md):\n{}",
        long.join("\n")
    );
}

#[test]
fn circles_are_found() {
    let graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a", "d"]),
        ("d", vec![]),
        ("e", vec!["e"]),
    ]
    .into_iter()
    .map(|(n, e)| {
        (
            vec![n.to_owned()],
            e.into_iter().map(|m| vec![m.to_owned()]).collect(),
        )
    })
    .collect();
    assert_eq!(circles(&graph), vec![vec!["a", "b", "c"]]);
    let text = "use crate::{a::X, b};\nuse super::c::Y;\nlet z = crate::d::f();";
    let named = named_paths(&["m".to_owned(), "n".to_owned()], text);
    assert_eq!(
        named,
        vec![
            vec!["a".to_owned(), "X".to_owned()],
            vec!["b".to_owned()],
            vec!["d".to_owned(), "f".to_owned()],
            vec!["m".to_owned(), "c".to_owned(), "Y".to_owned()],
        ]
    );
}
