//! The import circles between the modules of a crate, found from its source (issue 22, item 6): the tidy
//! rule `no_import_circles_between_modules` and the machinery it runs on.
//!
//! A file is a module (`foo.rs` with `foo/` is module `foo`, `mod.rs` its folder's, `lib.rs`/`main.rs`
//! the root), and so is an inline `mod foo { … }`. A module uses another where its code names a path
//! that starts with `crate::`, `super::` or `self::` (in `use` trees too), resolved to the deepest module
//! the path names. Comments and string literals are skipped; test code (a `#[cfg(test)]` module and
//! everything below it) is left out. A module using one of its ancestors, or one of its descendants, is
//! fine; any other use is counted between the two modules that are siblings on the way, so `a::x` using
//! `b::y` is `a` using `b`. A circle is a strongly connected component of more than one module. (A path
//! through a re-export, such as `crate::Error`, names the module that re-exports it: the root here,
//! which is every module's ancestor.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module's path in its crate: `["cache", "file"]`; the root is empty.
type Module = Vec<String>;

/// What the sources of one crate say: its modules, those that are test code, and who names what.
#[derive(Default)]
struct Source {
    modules: BTreeSet<Module>,
    test_only: BTreeSet<Module>,
    /// `(from, path)`: a path from its crate's root, as written in `from`.
    paths: Vec<(Module, Vec<String>)>,
}

/// A crate's uses between sibling modules: each module's path (`a::b`), and the paths of the modules it
/// uses.
pub(super) type Uses = BTreeMap<String, BTreeSet<String>>;

/// The uses between the modules of the crate whose sources are under `src`.
pub(super) fn uses_in(src: &Path) -> Uses {
    let mut files = Vec::new();
    collect(src, src, &mut files);
    uses_of_files(&files)
}

fn collect(src: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // `src/bin/*.rs` are crates of their own
            if !(dir == src && path.ends_with("bin")) {
                collect(src, &path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = path
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((name, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The uses between the modules of a crate given as `(path under src, text)` pairs.
fn uses_of_files(files: &[(String, String)]) -> Uses {
    let mut source = Source::default();
    source.modules.insert(Vec::new());
    for (name, text) in files {
        let module = module_of_file(name);
        source.modules.insert(module.clone());
        scan(&tokens(text), module, &mut source);
    }
    uses(&source)
}

/// `a/b.rs` and `a/b/mod.rs` are `a::b`; `lib.rs` and `main.rs` the root.
fn module_of_file(name: &str) -> Module {
    let name = name.strip_suffix(".rs").unwrap_or(name);
    let mut parts: Vec<String> = name.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|last| last == "mod") || matches!(name, "lib" | "main") {
        parts.pop();
    }
    parts
}

/// The module-to-module uses that count, between siblings.
fn uses(source: &Source) -> Uses {
    let is_test = |module: &Module| source.test_only.iter().any(|test| module.starts_with(test));
    let mut edges = Uses::new();
    for (from, path) in &source.paths {
        let to = (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|prefix| source.modules.contains(prefix) || source.test_only.contains(prefix))
            .unwrap_or_default();
        if is_test(from) || is_test(&to) || from.starts_with(&to) || to.starts_with(from) {
            continue;
        }
        let shared = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        edges
            .entry(from[..=shared].join("::"))
            .or_default()
            .insert(to[..=shared].join("::"));
    }
    edges
}

/// The strongly connected components of more than one node (Tarjan), each sorted, in order.
pub(super) fn circles(edges: &Uses) -> Vec<Vec<String>> {
    struct Walk<'g> {
        edges: &'g Uses,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, node: &'g str) {
            let at = self.index.len();
            self.index.insert(node, at);
            self.low.insert(node, at);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next.as_str()]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next.as_str()) {
                    let low = self.low[node].min(self.index[next.as_str()]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found.sort();
    walk.found
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    /// `::`, or one character of punctuation.
    Punct(&'static str),
    Other(char),
}

/// The words and punctuation of Rust source, without comments, literals and lifetimes.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            i = after_string(&chars, i + 1);
        } else if c == '\'' {
            if at(i + 1) == '\\' {
                // an escaped character (`'\''`, `'\u{1F600}'`): up to its closing quote
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                // a lifetime or a label
                i += 1;
                while at(i).is_alphanumeric() || at(i) == '_' {
                    i += 1;
                }
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let hashes = (i..).take_while(|&j| at(j) == '#').count();
            if matches!(word.as_str(), "r" | "br" | "cr") && at(i + hashes) == '"' {
                i = after_raw_string(&chars, i + hashes + 1, hashes);
            } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                i = after_string(&chars, i + 1);
            } else if word == "b" && at(i) == '\'' {
                i += if at(i + 1) == '\\' { 4 } else { 3 };
                while i < chars.len() && chars[i - 1] != '\'' {
                    i += 1;
                }
            } else if word == "r" && hashes == 1 {
                // a raw identifier, `r#type`
                let start = i + 1;
                i = start;
                while at(i).is_alphanumeric() || at(i) == '_' {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            } else {
                out.push(Token::Word(word));
            }
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Token::Punct("::"));
            i += 2;
        } else {
            out.push(match c {
                '{' => Token::Punct("{"),
                '}' => Token::Punct("}"),
                '(' => Token::Punct("("),
                ')' => Token::Punct(")"),
                '[' => Token::Punct("["),
                ']' => Token::Punct("]"),
                '#' => Token::Punct("#"),
                ',' => Token::Punct(","),
                ';' => Token::Punct(";"),
                '*' => Token::Punct("*"),
                other => Token::Other(other),
            });
            i += 1;
        }
    }
    out
}

/// The index after a string whose opening quote is just before `i`.
fn after_string(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// The index after a raw string with `hashes` hashes whose opening quote is just before `i`.
fn after_raw_string(chars: &[char], mut i: usize, hashes: usize) -> usize {
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|n| chars.get(i + n) == Some(&'#')) {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

fn word(token: Option<&Token>) -> Option<&str> {
    match token {
        Some(Token::Word(word)) => Some(word),
        _ => None,
    }
}

fn is(token: Option<&Token>, punct: &str) -> bool {
    matches!(token, Some(Token::Punct(p)) if *p == punct)
}

/// The index after the bracket that closes the one at `open`.
fn closing(tokens: &[Token], open: usize) -> usize {
    let (left, right) = match &tokens[open] {
        Token::Punct("(") => ("(", ")"),
        Token::Punct("[") => ("[", "]"),
        _ => ("{", "}"),
    };
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        if is(Some(token), left) {
            depth += 1;
        } else if is(Some(token), right) {
            depth -= 1;
            if depth == 0 {
                return i + 1;
            }
        }
    }
    tokens.len()
}

/// Finds the inline modules, the test modules and the paths of one file, module `file`.
fn scan(tokens: &[Token], file: Module, source: &mut Source) {
    // the inline modules open here, with the depth of braces at which each closes
    let mut open: Vec<(Module, usize)> = vec![(file, usize::MAX)];
    let mut depth = 0;
    let mut test_attribute = false;
    let mut i = 0;
    while i < tokens.len() {
        let current = open.last().unwrap().0.clone();
        let token = &tokens[i];
        if is(Some(token), "#") && (is(tokens.get(i + 1), "[") || is(tokens.get(i + 2), "[")) {
            let start = if is(tokens.get(i + 1), "[") { i + 1 } else { i + 2 };
            let end = closing(tokens, start);
            let test = [
                Token::Word("cfg".into()),
                Token::Punct("("),
                Token::Word("test".into()),
                Token::Punct(")"),
                Token::Punct("]"),
            ];
            test_attribute |= tokens[start + 1..end] == test;
            i = end;
            continue;
        }
        match (word(Some(token)), word(tokens.get(i + 1))) {
            (Some("pub"), _) => {
                // a visibility, `pub(in crate::a)` included, is no use of a module
                i += 1;
                if is(tokens.get(i), "(") {
                    i = closing(tokens, i);
                }
                continue;
            }
            (Some("mod"), Some(name)) => {
                let mut module = current.clone();
                module.push(name.to_owned());
                if test_attribute {
                    source.test_only.insert(module.clone());
                }
                if is(tokens.get(i + 2), "{") {
                    source.modules.insert(module.clone());
                    open.push((module, depth));
                    depth += 1;
                    i += 3;
                } else {
                    i += 2;
                }
                test_attribute = false;
                continue;
            }
            (Some("crate" | "super" | "self"), _)
                if is(tokens.get(i + 1), "::") && !(i > 0 && tokens[i - 1] == Token::Other('$')) =>
            {
                let (paths, next) = tree(tokens, i, current.clone(), true);
                source
                    .paths
                    .extend(paths.into_iter().map(|path| (current.clone(), path)));
                i = next;
                test_attribute = false;
                continue;
            }
            _ => {}
        }
        if is(Some(token), "{") {
            depth += 1;
        } else if is(Some(token), "}") {
            depth = depth.saturating_sub(1);
            if open.len() > 1 && open.last().unwrap().1 == depth {
                open.pop();
            }
        }
        test_attribute = false;
        i += 1;
    }
}

/// The paths a path or `use` tree starting at `i` names, from the crate's root (`prefix` is where the
/// tree stands), and the index after it. `first`: `crate`, `super` and `self` may start it.
fn tree(tokens: &[Token], mut i: usize, mut prefix: Module, first: bool) -> (Vec<Module>, usize) {
    let mut first = first;
    loop {
        if is(tokens.get(i), "{") {
            let mut found = Vec::new();
            i += 1;
            while i < tokens.len() && !is(tokens.get(i), "}") {
                let (paths, next) = tree(tokens, i, prefix.clone(), false);
                found.extend(paths);
                i = next.max(i + 1);
                if is(tokens.get(i), ",") {
                    i += 1;
                }
            }
            return (found, i + 1);
        }
        if is(tokens.get(i), "*") {
            return (vec![prefix], i + 1);
        }
        let Some(segment) = word(tokens.get(i)) else {
            return (vec![prefix], i);
        };
        match segment {
            "crate" if first => prefix.clear(),
            "super" => {
                prefix.pop();
            }
            "self" => {}
            _ => prefix.push(segment.to_owned()),
        }
        first = false;
        i += 1;
        if is(tokens.get(i), "::") {
            i += 1;
            continue;
        }
        if word(tokens.get(i)) == Some("as") {
            i += 2;
        }
        return (vec![prefix], i);
    }
}

#[test]
fn the_circle_finder_finds_every_component_of_more_than_one_module() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph = Uses::new();
        for (from, to) in edges {
            graph.entry((*from).into()).or_default().insert((*to).into());
        }
        graph
    };
    assert_eq!(
        circles(&graph(&[("a", "b"), ("b", "c"), ("c", "d")])),
        Vec::<Vec<String>>::new()
    );
    assert_eq!(
        circles(&graph(&[
            ("a", "b"),
            ("b", "c"),
            ("c", "a"),
            ("c", "d"),
            ("d", "e"),
            ("e", "d"),
            ("f", "a"),
        ])),
        [vec!["a", "b", "c"], vec!["d", "e"]]
    );
}

#[test]
fn a_circle_is_found_in_source_and_what_is_no_use_is_left_out() {
    let crate_of = |files: &[(&str, &str)]| {
        files
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .collect::<Vec<_>>()
    };
    let base = [
        (
            "lib.rs",
            "pub mod a;\npub mod b;\nmod c;\n#[cfg(test)]\nmod tests;",
        ),
        (
            "a.rs",
            "//! uses crate::b in a comment\nuse crate::{c::Thing, Error};\nfn f() -> &'static str { \"crate::b\" }",
        ),
        // a child's use of its parent, and a test module's use of anything, are no circle
        ("a/inner.rs", "use super::super::c;\nuse crate::a::X;"),
        (
            "b.rs",
            r##"pub(in crate::b) fn g() { let q = '"'; let e = '\''; let r = r#"crate::a"#; let l: &'static str = ""; }
#[cfg(test)]
mod tests { use crate::a; }"##,
        ),
        ("c.rs", "pub(crate) struct Thing;\nfn h() { super::b::g() }"),
        ("tests.rs", "use crate::a; use crate::c;"),
    ];
    assert_eq!(
        circles(&uses_of_files(&crate_of(&base))),
        Vec::<Vec<String>>::new()
    );

    // b now uses a: a -> c -> b -> a
    let mut circle = base;
    circle[3].1 = "fn g() { crate::a::inner::f(); }";
    assert_eq!(circles(&uses_of_files(&crate_of(&circle))), [vec!["a", "b", "c"]]);

    // deep modules count as their siblings: a::inner uses c::deep, and c::deep uses a
    let mut deep = base;
    deep[4].1 = "mod deep { use super::super::a::{self, inner::{X as Y}}; }";
    assert_eq!(circles(&uses_of_files(&crate_of(&deep))), [vec!["a", "c"]]);
}
