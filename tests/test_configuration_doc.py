"""docs/configuration.md lists exactly the environment variables wasteparks/settings.py reads."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "wasteparks" / "settings.py"
DOC = ROOT / "docs" / "configuration.md"
# The helpers settings.py reads a variable through: os.environ.get(NAME, ...), env_int(NAME, ...), ...
READERS = {"get", "getenv", "env_bool", "env_int", "env_decimal", "env_list", "env_rate"}
ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|")


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def variables_read_by_settings() -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            from_environ = not isinstance(func, ast.Attribute) or _is_environ(func.value) or called == "getenv"
            if called in READERS and from_environ and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and _is_environ(node.value) and isinstance(node.slice, ast.Constant):
            names.add(node.slice.value)
    return names


def variables_in_the_table() -> list[str]:
    return [match.group(1) for line in DOC.read_text().splitlines() if (match := ROW.match(line))]


def test_the_settings_read_variables_through_the_known_helpers():
    # A sanity check of the parser itself: a few variables every deployment sets.
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_BACKEND", "API_RATE_CLIENT"} <= (
        variables_read_by_settings()
    )


def test_every_variable_settings_reads_is_in_the_table():
    missing = sorted(variables_read_by_settings() - set(variables_in_the_table()))
    assert missing == [], f"Add these to docs/configuration.md: {missing}"


def test_the_table_lists_only_what_settings_reads_and_each_once():
    listed = variables_in_the_table()
    assert sorted(set(listed) - variables_read_by_settings()) == []
    assert len(listed) == len(set(listed))
