"""The browser tests of one worker share one app server: a unit two of them register (the same seed, hence
the same credit code, or the same mobile) is refused the second time, and only when both files land on the
same worker (r29: 该手机号码已注册). Each unit the e2e tests register is its own."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

E2E = Path(__file__).resolve().parents[1] / "e2e"


def _registrations() -> dict[str, dict[object, list[str]]]:
    """Per keyword (seed, mobile): each literal value and where it is given to `register_unit`."""
    found: dict[str, dict[object, list[str]]] = {"seed": defaultdict(list), "mobile": defaultdict(list)}
    for path in sorted(E2E.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                     and isinstance(node.value, ast.Constant) for target in node.targets
                     if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "register_unit"):
                continue
            for keyword in node.keywords:
                if keyword.arg in found:
                    value = keyword.value
                    literal = value.value if isinstance(value, ast.Constant) else \
                        constants.get(value.id) if isinstance(value, ast.Name) else None
                    if literal is not None:
                        found[keyword.arg][literal].append(f"{path.name}:{node.lineno}")
    return found


def test_each_unit_an_e2e_test_registers_has_its_own_seed_and_mobile() -> None:
    found = _registrations()
    assert len(found["seed"]) >= 10  # the scan finds the registrations it is about
    for keyword, values in found.items():
        shared = {value: places for value, places in values.items() if len(places) > 1}
        assert not shared, f"the same {keyword} registered twice: {shared}"
