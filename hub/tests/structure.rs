//! The hub's module structure, read from its source: imports run one way
//! (no cycle among files, nor among top-level modules), the actors speak
//! domain types only, and configuration imports none of the parts that read
//! it. See docs/architecture.md, "Module dependencies".

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`actors::registry`) -> the modules it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every `.rs` file under `src`, by module path ("" for lib.rs).
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable source dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src").with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                parts.pop();
            }
            found.insert(parts.join("::"), path);
        }
    }
    found
}

/// The code of a file without its tests and comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn ident(rest: &str) -> (&str, &str) {
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
    rest.split_at(end)
}

/// Paths (as segments) named from `rest` on: `a::b`, `a::{b, c::d}`, nested.
fn paths<'a>(prefix: &[&'a str], mut rest: &'a str, out: &mut Vec<Vec<&'a str>>) -> &'a str {
    let mut path = prefix.to_vec();
    loop {
        let (name, after) = ident(rest);
        if !name.is_empty() {
            path.push(name);
            rest = after;
        }
        if let Some(after) = rest.strip_prefix("::") {
            rest = after.trim_start();
            if let Some(group) = rest.strip_prefix('{') {
                rest = group;
                loop {
                    rest = paths(&path, rest.trim_start(), out).trim_start();
                    match rest.chars().next() {
                        Some(',') => rest = &rest[1..],
                        Some('}') => return &rest[1..],
                        _ => return rest,
                    }
                }
            }
            continue;
        }
        // `x as y` renames the last segment, not the path.
        if let Some(after) = rest.trim_start().strip_prefix("as ") {
            rest = ident(after.trim_start()).1;
        }
        out.push(path);
        return rest;
    }
}

/// Which modules each module imports (`crate::…` and `super::…` paths).
fn graph(src: &Path) -> Graph {
    let files = modules(src);
    let known: BTreeSet<&str> = files.keys().map(String::as_str).collect();
    let mut graph = Graph::new();
    for (module, path) in &files {
        let text = code(&std::fs::read_to_string(path).expect("readable source"));
        let here: Vec<&str> = if module.is_empty() { vec![] } else { module.split("::").collect() };
        let mut named = Vec::new();
        for (at, _) in text.match_indices("crate::").chain(text.match_indices("super::")) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let (start, rest) = match text[at..].strip_prefix("crate::") {
                Some(rest) => (Vec::new(), rest),
                // `super` of `a::b` (a/b.rs, or a/b/mod.rs) is `a`.
                None => (here[..here.len().saturating_sub(1)].to_vec(), &text[at + "super::".len()..]),
            };
            paths(&start, rest, &mut named);
        }
        let imports = graph.entry(module.clone()).or_default();
        for path in named {
            let target = (1..=path.len()).rev().map(|n| path[..n].join("::")).find(|m| known.contains(m.as_str()));
            if let Some(target) = target {
                let inside = module == &target || module.starts_with(&format!("{target}::"));
                if !inside && !target.is_empty() {
                    imports.insert(target);
                }
            }
        }
    }
    graph
}

/// The cycles of a graph: its strongly connected parts of more than one node.
fn cycles(graph: &Graph) -> Vec<BTreeSet<String>> {
    // Two nodes share a cycle when each reaches the other.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(node) = todo.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&str, BTreeSet<String>> = graph.keys().map(|k| (k.as_str(), reach(k))).collect();
    let mut found: Vec<BTreeSet<String>> = Vec::new();
    for (node, reached) in &reaches {
        let part: BTreeSet<String> = reached
            .iter()
            .filter(|other| reaches.get(other.as_str()).is_some_and(|back| back.contains(*node)))
            .cloned()
            .collect();
        if part.len() > 1 && !found.contains(&part) {
            found.push(part);
        }
    }
    found
}

/// The same graph between top-level modules (`actors`, `store`, …).
fn top_level(graph: &Graph) -> Graph {
    let top = |m: &str| m.split("::").next().unwrap_or("").to_owned();
    let mut out = Graph::new();
    for (module, imports) in graph {
        let entry = out.entry(top(module)).or_default();
        entry.extend(imports.iter().map(|i| top(i)).filter(|t| *t != top(module)));
    }
    out
}

fn hub_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_import_cycle_among_files_or_top_level_modules() {
    let graph = graph(&hub_src());
    assert!(graph.len() > 50, "the source was read: {} modules", graph.len());
    assert!(graph["actors::registry"].contains("actors::machine_session"), "imports are found: {graph:?}");
    assert_eq!(cycles(&graph), Vec::<BTreeSet<String>>::new(), "file-level import cycles");
    assert_eq!(cycles(&top_level(&graph)), Vec::<BTreeSet<String>>::new(), "top-level import cycles");
}

#[test]
fn actors_speak_domain_types_only() {
    let graph = graph(&hub_src());
    let wire = ["grpc", "http", "server"];
    for (module, imports) in graph.iter().filter(|(m, _)| m.starts_with("actors")) {
        let bad: Vec<&String> =
            imports.iter().filter(|i| wire.iter().any(|w| i.split("::").next() == Some(w))).collect();
        assert!(bad.is_empty(), "{module} imports {bad:?}");
        let text = code(&std::fs::read_to_string(module_file(module)).expect("readable"));
        for word in ["pb::", "tonic::", "sysmonstm_protocol::pb"] {
            assert!(!text.contains(word), "{module} uses {word}");
        }
    }
}

#[test]
fn configuration_imports_none_of_its_readers() {
    let graph = graph(&hub_src());
    let readers = ["actors", "grpc", "http", "server", "stats"];
    let bad: Vec<&String> =
        graph["config"].iter().filter(|i| readers.iter().any(|r| i.split("::").next() == Some(r))).collect();
    assert!(bad.is_empty(), "config imports {bad:?}");
}

fn module_file(module: &str) -> PathBuf {
    modules(&hub_src()).remove(module).expect("known module")
}

#[test]
fn the_reader_finds_grouped_and_relative_imports_and_cycles() {
    let mut named = Vec::new();
    paths(&[], "a::{b, c::{d as e, f}}, g;", &mut named);
    assert_eq!(named, vec![vec!["a", "b"], vec!["a", "c", "d"], vec!["a", "c", "f"]]);
    let graph: Graph = [("a", &["b"][..]), ("b", &["c"]), ("c", &["a"]), ("d", &["a"])]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.iter().map(|s| s.to_string()).collect()))
        .collect();
    let found = cycles(&graph);
    assert_eq!(found, vec![["a", "b", "c"].into_iter().map(String::from).collect::<BTreeSet<_>>()]);
    assert_eq!(code("use x; // crate::y\n#[cfg(test)]\nuse crate::z;"), "use x; ");
}
