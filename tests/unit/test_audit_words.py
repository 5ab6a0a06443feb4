"""The audit log in the auditor's words: detail values named as the pages name them, never a code."""

from __future__ import annotations

from flows.oversight.audit_words import action_label, detail_text


def test_detail_values_read_in_chinese() -> None:
    shown = detail_text({"from": "prefecture_review", "to": "rejected", "filtered": False, "kinds": ["C", "E"],
                         "next": "done", "portal": "both", "second_factor": True, "outcome": "file_mismatch",
                         "already_known": 0, "imported": 1, "region": "650100", "role": "county",
                         "material_id": "guard_duties", "counts": {"found_valid": 3, "not_found": 6}})
    for words in ("原状态=州、市、地公安机关审核中", "新状态=已办结（不予通过或不予备案）", "按关键词筛选=否",
                  "业务=自行招用保安员单位备案、设立分公司备案", "下一步=完成", "门户=两个门户", "第二重验证=是",
                  "结果=文件与存档不一致", "已有=0", "导入=1", "地区=乌鲁木齐市（650100）", "角色=县级公安机关",
                  "次数=有效3，未找到6"):
        assert words in shown, words
    for code in ("prefecture_review", "rejected", "False", "True", "both", "done", "file_mismatch", "already_known",
                 "imported", "guard_duties", "[]"):
        assert code not in shown, code
    assert detail_text({"kinds": []}) == "业务=无"


def test_a_refusal_is_named_for_both_kinds_of_case() -> None:
    assert action_label("reject") == "办件：不予通过或不予备案"
    assert action_label("confirm") == "办件：确认"
    assert action_label("something_new") == "something_new"  # a code not named yet shows as recorded


def test_an_act_that_records_its_business_is_named_for_it() -> None:
    """A refusal of a filing reads 不予备案, of kind A's change 不予通过, as the decision itself says."""
    assert action_label("reject", {"kind": "C"}) == "办件：不予备案"
    assert action_label("reject", {"kind": "A"}) == "办件：不予通过"
    assert "新状态=已办结（不予备案）" in detail_text({"from": "prefecture_review", "to": "rejected", "kind": "C"})
    assert "新状态=已办结（不予通过）" in detail_text({"from": "province_review", "to": "rejected", "kind": "A"})
    assert action_label("reject", {"kind": "no-such-kind"}) == "办件：不予通过或不予备案"


def _recorded_actions() -> set[str]:
    """Every action the code passes as `action=` to an audit call: a string, or either string of `a if c else b`."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found: set[str] = set()
    for folder in ("flows", "store", "web", "ui", "pages"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call) or getattr(node.func, "attr", "") == "add_argument":
                    continue
                for keyword in node.keywords:
                    if keyword.arg != "action":
                        continue
                    value = keyword.value
                    for part in (value.body, value.orelse) if isinstance(value, ast.IfExp) else (value,):
                        if isinstance(part, ast.Constant) and isinstance(part.value, str):
                            found.add(part.value)
    return found


def test_every_action_the_code_records_has_a_chinese_name() -> None:
    """An auditor saw login_failed in the 操作 column: every action an audit call records is named in Chinese."""
    recorded = _recorded_actions()
    assert {"login", "login_failed", "portal_refused", "upload"} <= recorded  # the search finds what it must
    recorded |= {"add_feedback", "add_rating"}  # store/feedback.py: f"add_{category}"
    assert sorted(a for a in recorded if action_label(a) == a) == []
