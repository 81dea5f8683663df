#!/usr/bin/env python3
"""The layout rules the compiler does not check, run by scripts/test.sh.

1. No import circle between modules, at two levels:
   - files: a file that uses an item of another file (through `use` or a `crate::`/`super::`
     path; re-exports followed to the file that defines the item) depends on it, and no file
     may depend on itself through others;
   - siblings: the children of every module (a folder's files and subfolders) must use each
     other without a circle, so `supervisor/` and `metrics.rs` cannot lean on each other
     through different files.
   Test code (`#[cfg(test)] mod ...` and files under tests/) is left out.
2. No source file over 600 lines, except data tables listed in DATA_TABLES.
3. The runtime crate (src/) names nothing of Nova outside comments and tests.

Usage: python3 scripts/check_layout.py [--verbose]   (exit 1 on a violation)
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATES = {"src": "lib.rs", "actors": "lib.rs"}
MAX_LINES = 600
# Data tables may be longer: one entry after another, nothing to split.
DATA_TABLES = {
    "src/config/runtime_options.rs",
    "actors/conf/options.rs",
}
NOVA_WORDS = re.compile(r"\b(nova|conductor|scheduler|flavors?|hypervisors?)\b", re.I)

ITEM_DEF = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+|const\s+|unsafe\s+)*"
    r"(?:struct|enum|fn|trait|type|const|static|union|macro_rules!)\s+([A-Za-z_][A-Za-z0-9_]*)",
    re.M,
)
MOD_DECL = re.compile(r"^\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_0-9]+)\s*;", re.M)


def strip_comments_and_strings(text):
    """Code only: comments, string and char literals blanked (line structure kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
            continue
        m = re.match(r'r(#*)"', text[i:]) if c == "r" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) else None
        if m:
            hashes = m.group(1)
            end = text.find('"' + hashes, i + len(m.group(0)))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
            continue
        if c == "'" :
            m = re.match(r"'(?:\\.|[^\\'])'", text[i:])
            if m:
                out.append("' '")
                i += len(m.group(0))
                continue
        out.append(c)
        i += 1
    return "".join(out)


def remove_test_modules(code):
    """Drops `#[cfg(test)] mod name { ... }` blocks (brace-matched)."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", code)
        if not m:
            return code
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            j += 1
        code = code[: m.start()] + "\n" * code.count("\n", m.start(), j) + code[j:]


class Module:
    def __init__(self, crate, path, file):
        self.crate, self.path, self.file = crate, path, file  # path: tuple of names
        self.children = {}
        self.code = ""
        self.items = set()
        self.reexports = {}  # name -> list of path segments (relative to this module)
        self.glob_reexports = []


def load_crate(crate_dir, root_file):
    modules = {}

    def visit(path, file, directory):
        mod = Module(crate_dir, path, file)
        modules[path] = mod
        with open(file, encoding="utf-8") as f:
            raw = f.read()
        code = remove_test_modules(strip_comments_and_strings(raw))
        mod.code = code
        mod.items = set(ITEM_DEF.findall(code))
        for name in MOD_DECL.findall(code):
            decl = re.search(r'#\[path\s*=\s*""\]\s*(?:pub\s+)?mod\s+' + name + r"\s*;", code)
            candidates = [os.path.join(directory, name + ".rs"), os.path.join(directory, name, "mod.rs")]
            child_file = next((c for c in candidates if os.path.exists(c)), None)
            if child_file is None:
                continue
            child_dir = os.path.join(directory, name)
            mod.children[name] = path + (name,)
            visit(path + (name,), child_file, child_dir)
        for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", code):
            for target in expand_use(m.group(1)):
                if target[-1] == "*":
                    mod.glob_reexports.append(target[:-1])
                else:
                    mod.reexports[target.alias or target[-1]] = target
        return mod

    root_path = os.path.join(ROOT, crate_dir, root_file)
    visit((), root_path, os.path.join(ROOT, crate_dir))
    return modules


class UsePath(list):
    alias = None


def expand_use(tree):
    """`a::{b, c::{d, e as f}, g::*}` -> paths [a,b], [a,c,d], [a,c,e] (alias f), [a,g,*]."""
    tree = re.sub(r"\s+", " ", tree).strip()
    results = []

    def split_top(text):
        parts, depth, cur = [], 0, ""
        for ch in text:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        parts.append(cur)
        return [p.strip() for p in parts if p.strip()]

    def walk(prefix, text):
        for part in split_top(text):
            if "{" in part:
                head, rest = part.split("{", 1)
                head_segments = [s.strip() for s in head.split("::") if s.strip()]
                walk(prefix + head_segments, rest.rsplit("}", 1)[0])
                continue
            alias = None
            m = re.match(r"^(.*?)\s+as\s+(\w+)$", part)
            if m:
                part, alias = m.group(1), m.group(2)
            segs = [s.strip() for s in part.split("::") if s.strip()]
            if segs == ["self"]:
                segs = []
            path = UsePath(prefix + segs)
            path.alias = alias
            if path:
                results.append(path)

    walk([], tree)
    return results


def resolve(modules, current, segments, depth=0):
    """The module that defines `segments` used from `current`, or None (external)."""
    if depth > 20 or not segments:
        return None
    first = segments[0]
    if first == "crate":
        base, rest = (), segments[1:]
    elif first == "super":
        base, rest = current[:-1], segments[1:]
        while rest and rest[0] == "super":
            base, rest = base[:-1], rest[1:]
    elif first == "self":
        base, rest = current, segments[1:]
    elif first in modules[current].children:
        base, rest = current, segments
    else:
        return None  # another crate or std
    mod_path = base
    while rest and rest[0] in modules.get(mod_path, Module(None, None, None)).children:
        mod_path = mod_path + (rest[0],)
        rest = rest[1:]
    if mod_path not in modules:
        return None
    if not rest or rest[0] in ("*",):
        return mod_path
    name = rest[0]
    module = modules[mod_path]
    if name in module.items:
        return mod_path
    if name in module.reexports:
        return resolve(modules, mod_path, list(module.reexports[name]) + rest[1:], depth + 1)
    for glob in module.glob_reexports:
        target = resolve(modules, mod_path, list(glob) + [name] + rest[1:], depth + 1)
        if target is not None:
            return target
    return mod_path


PATH_USE = re.compile(r"\b(?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+")


def dependencies(modules):
    edges = {path: set() for path in modules}
    for path, module in modules.items():
        code = module.code
        used = []
        for m in re.finditer(r"\buse\s+([^;]+);", code):
            for target in expand_use(m.group(1)):
                segs = [s for s in target if s != "*"]
                if segs and segs[0] in ("crate", "super", "self") or (segs and segs[0] in module.children):
                    used.append(segs)
        body = re.sub(r"\buse\s+[^;]+;", "", code)
        for m in PATH_USE.finditer(body):
            used.append(m.group(0).split("::"))
        # Paths through a child module without `self::` (`compute::definitions(..)`).
        for child in module.children:
            for m in re.finditer(r"(?<![\w:])" + child + r"(?:::[A-Za-z_][A-Za-z0-9_]*)+", body):
                used.append(m.group(0).split("::"))
        for segs in used:
            target = resolve(modules, path, segs)
            if target is not None and target != path:
                edges[path].add(target)
    return edges


def cycles(nodes, edges):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(component)

    for v in nodes:
        if v not in index:
            strong(v)
    return result


def name(crate, path):
    return crate + "::" + "::".join(path) if path else crate


def check_crate(crate_dir, root_file, problems, verbose):
    modules = load_crate(crate_dir, root_file)
    edges = dependencies(modules)
    for component in cycles(list(modules), edges):
        files = sorted(os.path.relpath(modules[p].file, ROOT) for p in component)
        problems.append("import circle between files: " + " <-> ".join(files))
    # Sibling level: for every edge, the children of the nearest common ancestor.
    sibling_edges = {}
    for src, targets in edges.items():
        for dst in targets:
            common = 0
            while common < min(len(src), len(dst)) and src[common] == dst[common]:
                common += 1
            if common == len(src) or common == len(dst):
                continue  # parent and descendant
            parent = src[:common]
            a, b = src[: common + 1], dst[: common + 1]
            sibling_edges.setdefault(parent, {}).setdefault(a, set()).add(b)
    for parent, graph in sibling_edges.items():
        for component in cycles(list(graph), graph):
            names = sorted(name(crate_dir, p) for p in component)
            problems.append(
                "import circle between the modules of " + name(crate_dir, parent) + ": " + " <-> ".join(names)
            )
    if verbose:
        for src, targets in sorted(edges.items()):
            for dst in sorted(targets):
                print(name(crate_dir, src), "->", name(crate_dir, dst))
    return modules


def main():
    verbose = "--verbose" in sys.argv
    problems = []
    for crate_dir, root_file in CRATES.items():
        check_crate(crate_dir, root_file, problems, verbose)
    for base in ("src", "actors", "tests", "bench"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, base)):
            for file in files:
                if not file.endswith(".rs"):
                    continue
                full = os.path.join(dirpath, file)
                rel = os.path.relpath(full, ROOT)
                with open(full, encoding="utf-8") as f:
                    lines = f.read().count("\n")
                if lines > MAX_LINES and rel not in DATA_TABLES:
                    problems.append(f"{rel} has {lines} lines (at most {MAX_LINES}; split it at its seams)")
    for dirpath, _, files in os.walk(os.path.join(ROOT, "src")):
        for file in files:
            if not file.endswith(".rs") or file == "tests.rs":
                continue
            full = os.path.join(dirpath, file)
            with open(full, encoding="utf-8") as f:
                code = remove_test_modules(strip_comments_and_strings(f.read()))
            for number, line in enumerate(code.split("\n"), 1):
                for m in NOVA_WORDS.finditer(line):
                    problems.append(f"{os.path.relpath(full, ROOT)}:{number}: Nova name '{m.group(0)}' in the runtime crate")
    for problem in problems:
        print("check_layout: " + problem, file=sys.stderr)
    if problems:
        print(f"check_layout: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("check_layout: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
