"""The addon's business code stays in pieces a reader can hold: no file in `models/` or
`wizard/` over 500 lines, no function or method there over 60 (issue 15).

A method's length runs from its `def` to its last line; its decorators do not count.
"""

import ast
from pathlib import Path

import pytest

ADDON_DIR = Path(__file__).resolve().parents[1] / "lexware_connector"
CHECKED_DIRS = ("models", "wizard")
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60

SOURCES = sorted(path for folder in CHECKED_DIRS for path in (ADDON_DIR / folder).glob("*.py"))


def _name(path):
    return str(path.relative_to(ADDON_DIR))


def _long_functions(path):
    """(qualified name, lines) of every function in `path` longer than the limit."""
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            name = prefix
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}."
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = child.end_lineno - child.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found.append((name[:-1], lines))
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), "")
    return found


def test_the_checked_folders_hold_code():
    """A moved folder must not leave the checks below with nothing to check."""
    assert {path.parent.name for path in SOURCES} == set(CHECKED_DIRS)
    assert any(path.name == "account_move.py" for path in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_no_file_is_over_500_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_FILE_LINES, f"{_name(path)} has {lines} lines, over {MAX_FILE_LINES}"


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_no_method_is_over_60_lines(path):
    too_long = _long_functions(path)
    assert not too_long, (
        f"{_name(path)}: functions over {MAX_FUNCTION_LINES} lines (name, lines): {too_long}"
    )


def test_the_check_measures_a_method_without_its_decorators(tmp_path):
    """The measure itself: a 61-line method is named, a 60-line one with a decorator is not."""
    body = "".join(f"        x = {n}\n" for n in range(58))
    source = (
        "class Model:\n"
        "    @property\n"
        f"    def fits(self):\n{body}        return x\n"
        f"    def too_long(self):\n{body}        x = 1\n        return x\n"
    )
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    assert _long_functions(path) == [("Model.too_long", 61)]
