"""The shape of the code: data flows one way, registry ← transfers ← reporting, and every module of the
apps says in its docstring what it is about (docs/architecture.md).

Read from the source with `ast`, nothing is imported. Migrations are read too: a migration importing a
later app, or depending on its migrations, ties the schema the wrong way just as surely as a model does.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("registry", "transfers", "reporting", "wasteparks")

# What each app must not reach. wasteparks, the project package, is open to every app.
MUST_NOT_REACH = {
    "registry": {"transfers", "reporting"},
    "transfers": {"reporting"},
}


def modules_of(app: str) -> list[Path]:
    return sorted(path for path in (ROOT / app).rglob("*.py") if "__pycache__" not in path.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def reached_modules(source: str, *, name: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, dotted name) of every module or app the source reaches: `import`, `from … import` (relative
    ones resolved against `name`, the module's own dotted name), `importlib.import_module("…")`,
    `apps.get_model("app", …)` / `get_model("app.Model")`, and a migration's `dependencies`."""
    package = name if is_package else name.rpartition(".")[0]
    reached = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            reached += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            reached.append((node.lineno, target))
        elif isinstance(node, ast.Call) and node.args:
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = _literal(node.args[0])
            if called in ("import_module", "__import__", "get_model") and first:
                reached.append((node.lineno, first))
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "dependencies" for t in node.targets):
            for element in getattr(node.value, "elts", []):
                app_label = _literal(element.elts[0]) if isinstance(element, ast.Tuple) and element.elts else None
                if app_label:
                    reached.append((node.lineno, app_label))
    return sorted(reached)


def wrong_way(app: str) -> list[str]:
    """`path:line reaches module` for each place where `app` reaches an app it must not."""
    found = []
    for path in modules_of(app):
        reached = reached_modules(
            path.read_text(encoding="utf-8"), name=module_name(path), is_package=path.name == "__init__.py"
        )
        for line, target in reached:
            if target.split(".")[0] in MUST_NOT_REACH[app]:
                found.append(f"{path.relative_to(ROOT)}:{line} reaches {target}")
    return found


def test_the_check_sees_every_way_a_module_reaches_another():
    source = """
import reporting.models
from transfers import services
from ..querysets import EnterpriseQuerySet
from . import rules

def later():
    from reporting.services import warnings
    importlib.import_module("reporting.tasks")
    apps.get_model("reporting", "Inspection")

class Migration:
    dependencies = [("transfers", "0001_initial")]
"""
    assert reached_modules(source, name="registry.views.enterprise") == [
        (2, "reporting.models"),
        (3, "transfers"),
        (4, "registry.querysets"),
        (5, "registry.views"),
        (8, "reporting.services"),
        (9, "reporting.tasks"),
        (10, "reporting"),
        (13, "transfers"),
    ]


def test_registry_reaches_neither_transfers_nor_reporting():
    assert modules_of("registry")
    found = wrong_way("registry")
    assert found == [], "\n".join(["registry must not reach transfers or reporting:", *found])


def test_transfers_does_not_reach_reporting():
    assert modules_of("transfers")
    found = wrong_way("transfers")
    assert found == [], "\n".join(["transfers must not reach reporting:", *found])


def _needs_a_docstring(path: Path) -> bool:
    if "migrations" in path.relative_to(ROOT).parts:
        return False
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # An empty __init__.py only marks a package; one with code is a module like any other.
    return bool(tree.body) or path.name != "__init__.py"


@pytest.mark.parametrize("app", APPS)
def test_every_module_says_what_it_is_about(app):
    undocumented = [
        str(path.relative_to(ROOT))
        for path in modules_of(app)
        if _needs_a_docstring(path) and ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
    ]
    assert undocumented == [], "\n".join(["Modules without a docstring naming their subject:", *undocumented])
