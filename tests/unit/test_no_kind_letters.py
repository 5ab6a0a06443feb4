"""Engine code names no kind letter: what a kind means lives in its definition under `flows/kinds/`.

A kind letter ("B") is found where it is used as a kind: compared with something named kind
(`case.kind == "B"`, `kind in ("C", "D")`, `col(Case.kind).in_(["B"])`), given as a kind
(`kind="C"`, a positional argument whose parameter is named kind), held by something named kind
(`KINDS = {"B": …}`, `wanted_kinds = ["A"]`), or as the baseline list's 业务类型. Single letters
with other meanings (an OCR translation table, a spreadsheet column "A") are not kinds.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.kinds import all_filings

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("flows", "store", "ui", "pages", "web")
EXEMPT = ROOT / "flows" / "kinds"
KIND_KEYS = ("kind", "业务类型")  # dict keys whose value is a kind


def _names_kind(node: ast.AST) -> bool:
    """Whether the expression names something called kind (kind, kinds, case.kind, col(Case.kind), KINDS)."""
    for sub in ast.walk(node):
        name = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else None
        if name is not None and "kind" in name.lower():
            return True
    return False


def _letters(node: ast.AST, letters: frozenset[str]) -> Iterator[ast.Constant]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value in letters:
            yield sub


def _kind_parameters(trees: list[ast.Module]) -> dict[str, set[int]]:
    """Function name -> the positions of its parameters named kind (any function of that name)."""
    found: dict[str, set[int]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
                for index, name in enumerate(params):
                    if "kind" in name.lower():
                        found.setdefault(node.name, set()).add(index)
    return found


def kind_letters(tree: ast.Module, letters: frozenset[str], kind_params: dict[str, set[int]]) -> list[int]:
    """The lines where a kind letter is used as a kind."""
    lines: set[int] = set()

    def flag(node: ast.AST) -> None:
        lines.update(c.lineno for c in _letters(node, letters))

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_names_kind(o) for o in operands):
                for operand in operands:
                    if not _names_kind(operand):
                        flag(operand)
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg is not None and "kind" in keyword.arg.lower():
                    flag(keyword.value)
            func = node.func
            if isinstance(func, ast.Attribute) and _names_kind(func.value):
                for arg in node.args:
                    flag(arg)
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            for index in kind_params.get(name, ()):
                if index < len(node.args):
                    flag(node.args[index])
                # a method's `self` shifts the positions by one
                if isinstance(func, ast.Attribute) and 0 < index <= len(node.args):
                    flag(node.args[index - 1])
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and any(_names_kind(t) for t in targets):
                flag(node.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and \
                        any(k in key.value.lower() for k in KIND_KEYS):
                    flag(value)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "kind" in node.name.lower():
            for sub in ast.walk(node):
                if isinstance(sub, ast.Return) and sub.value is not None:
                    flag(sub.value)
    return sorted(lines)


def _sources() -> list[Path]:
    files = [p for folder in SCANNED for p in sorted((ROOT / folder).rglob("*.py"))]
    return [p for p in files if EXEMPT not in p.parents and "migrations" not in p.parts]


LETTERS = frozenset(all_filings()) | frozenset("ABCDEFGH")  # the kinds there are, and the next few


def test_no_kind_letter_outside_the_definitions() -> None:
    files = _sources()
    trees = [ast.parse(p.read_text(encoding="utf-8"), filename=str(p)) for p in files]
    params = _kind_parameters(trees)
    found = [f"{p.relative_to(ROOT)}:{line}" for p, tree in zip(files, trees, strict=True)
             for line in kind_letters(tree, LETTERS, params)]
    assert found == [], "kind letters outside flows/kinds/ (say what the kind is, in its definition): " + \
        ", ".join(found)


FLAGGED = [
    'if kind == "B":\n    pass',
    'x = case.kind in ("C", "D")',
    'select(Case).where(Case.kind == "D")',
    'q.where(col(Case.kind).in_(["B", "C"]))',
    'wanted_kinds = ["A"]',
    'KINDS = {"B": "跨省提供服务备案"}',
    'KIND_ALIASES = {"跨省": "B"}',
    'start(kind="C")',
    'def make(engine, unit, kind):\n    pass\nmake(engine, unit, "C")',
    'rows = [{"业务类型": "C"}]',
    'def pick_kind():\n    return "E"',
]
NOT_FLAGGED = [
    '_ID_FIX = str.maketrans({"O": "0", "D": "0", "B": "8"})',
    'guide.column_dimensions["A"].width = 22',
    'value = ord(char) - ord("A") + 10',
    'name = "".join(c for c in filename if unicodedata.category(c)[0] != "C")',
    'if kind == filing.kind:\n    pass',
]


@pytest.mark.parametrize("source", FLAGGED)
def test_the_check_finds_a_kind_letter_used_as_a_kind(source: str) -> None:
    tree = ast.parse(source)
    assert kind_letters(tree, LETTERS, _kind_parameters([tree]))


@pytest.mark.parametrize("source", NOT_FLAGGED)
def test_the_check_leaves_other_single_letters_alone(source: str) -> None:
    tree = ast.parse(source)
    assert kind_letters(tree, LETTERS, _kind_parameters([tree])) == []
