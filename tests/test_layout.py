"""The code's layout, read from the source with `ast` (nothing is imported): every module one job that a reader can
take in, no two modules or packages that need each other, one meaning per class name."""

import ast
from collections import Counter

from conftest import REPO

PACKAGES = ("augli", "vggish", "labels")
MAX_MODULE_LINES = 400


def module_name(path):
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path
           for path in sorted([*REPO.glob("*.py"), *(path for package in PACKAGES for path in REPO.glob(f"{package}/*.py"))])}
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def imported_modules(tree):
    """The project's modules that a module imports anywhere in it (a lazy import inside a function counts too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                      for alias in node.names}
    return found & set(MODULES)


IMPORTS = {name: imported_modules(tree) - {name} for name, tree in TREES.items()}


def package_of(module):
    return module.split(".")[0] if module.split(".")[0] in PACKAGES else "scripts"


def cycle(graph):
    """One cycle of the graph (a list of nodes, the first again at the end), or None."""
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for successor in sorted(graph.get(node, ())):
            if state.get(successor) == "open":
                return path[path.index(successor):] + [successor]
            if successor not in state and (found := visit(successor)):
                return found
        state[node] = "done"
        path.pop()
        return None

    return next((found for node in sorted(graph) if node not in state and (found := visit(node))), None)


def test_the_graph_finds_a_cycle_and_resolves_submodule_imports():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    source = "from augli import errors, frontend\nimport numpy\n\ndef f():\n    from vggish.weights import load_weights\n"
    assert imported_modules(ast.parse(source)) == {"augli.errors", "augli.frontend", "vggish.weights"}


def test_no_module_needs_a_module_that_needs_it():
    assert cycle(IMPORTS) is None


def test_vggish_needs_nothing_from_augli_and_no_two_packages_need_each_other():
    """augli builds its CRNN on vggish (see vggish/__init__.py); the model package stands alone."""
    arrows = {(package_of(module), package_of(imported)) for module, imports in IMPORTS.items() for imported in imports}
    assert ("augli", "vggish") in arrows and ("vggish", "augli") not in arrows
    packages = {}
    for source, target in arrows - {(package, package) for package in (*PACKAGES, "scripts")}:
        packages.setdefault(source, set()).add(target)
    assert cycle(packages) is None


def test_no_class_name_is_defined_twice():
    classes = Counter(node.name for tree in TREES.values() for node in tree.body if isinstance(node, ast.ClassDef))
    assert [name for name, count in classes.items() if count > 1] == []


def test_no_module_is_over_400_lines():
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()}
    assert {name: lines for name, lines in lengths.items() if lines > MAX_MODULE_LINES} == {}
