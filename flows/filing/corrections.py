"""What a resubmission changed: the returned items with their values before and after the correction.

While a case is returned, the first change of each returned item keeps the value it had (or the
file it replaced) in the case's `DraftState.before_correction`, for that return (its event id). After
the resubmission the officer sees, at the top of the case, each returned item with the officer's
reason, the old value and the new one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flows.filing.answers import describe_answer
from flows.filing.identifiers import mask_id
from flows.filing.schema import ColType, Filing, QType, Question
from flows.ports import EventView, MaterialView
from flows.review.transitions import Act

NO_FILE = "（无文件）"


def file_facts(material: MaterialView | None) -> dict[str, Any]:
    """What is kept of a replaced file: its name and size (the bytes stay in the store)."""
    if material is None:
        return {"filename": None, "size": 0}
    return {"filename": material.filename, "size": material.size}


def keep_before(kept: Mapping[str, Any] | None, round_id: int, item_id: str, before: Any, *,
                file: bool) -> dict[str, Any] | None:
    """The new `DraftState.before_correction` record when `item_id` changes for the first time in this round,
    else None."""
    if not isinstance(kept, dict) or kept.get("round") != round_id:
        kept = {"round": round_id, "values": {}, "files": {}}
    part = "files" if file else "values"
    if item_id in kept.get(part, {}):
        return None  # the value from before the first change stays
    return {**kept, part: {**kept.get(part, {}), item_id: before}}


@dataclass(frozen=True)
class Correction:
    """One returned item after the resubmission: what the officer asked, what it was, what it is."""

    item_id: str
    label: str
    reason: str
    before: str
    after: str
    changed: bool
    is_file: bool


def _roster_rows(question: Question, rows: Any) -> list[str]:
    out = []
    for row in rows if isinstance(rows, list) else []:
        parts = []
        for column in question.columns:
            value = row.get(column.id) if isinstance(row, dict) else None
            if column.type == ColType.ID_NUMBER and value:
                value = mask_id(str(value))
            if column.type == ColType.YES_NO:
                value = "是" if value else "否"
            if value not in (None, ""):
                parts.append(str(value))
        out.append(" ".join(parts))
    return out


def _describe(question: Question, value: Any) -> str:
    if value is None:
        return "（未填写）"
    if question.type == QType.ID_NUMBER and value:
        return mask_id(str(value))
    if question.type == QType.ROSTER:
        return f"共{len(value) if isinstance(value, list) else 0}行"
    return describe_answer(question, value)


def _roster_change(question: Question, before: Any, after: Any) -> str:
    old, new = _roster_rows(question, before), _roster_rows(question, after)
    removed = [r for r in old if r not in new]
    added = [r for r in new if r not in old]
    parts = []
    if added:
        parts.append("新增：" + "；".join(added))
    if removed:
        parts.append("删除：" + "；".join(removed))
    return "　".join(parts) or "行的内容未变"


def last_resubmission(events: Sequence[EventView]) -> tuple[EventView, EventView] | None:
    """The latest return and the resubmission that answered it, if the case's latest submission is one."""
    submitted = [e for e in events if e.act in (Act.SUBMIT, Act.RESUBMIT)]
    if not submitted or submitted[-1].act != Act.RESUBMIT:
        return None
    resubmit = submitted[-1]
    returns = [e for e in events if e.act == Act.RETURN and e.id < resubmit.id]
    return (returns[-1], resubmit) if returns else None


def corrections(filing: Filing, events: Sequence[EventView], answers: Mapping[str, Any],
                materials: Sequence[MaterialView], before: Mapping[str, Any] | None) -> list[Correction]:
    """The returned items of the latest resubmission with their old and new values (empty if none);
    `before` is the case's `DraftState.before_correction`."""
    found = last_resubmission(events)
    if found is None:
        return []
    returned, _ = found
    kept = before
    if not isinstance(kept, dict) or kept.get("round") != returned.id:
        kept = {"values": {}, "files": {}}
    questions = {q.id: q for q in filing.questions}
    current = {m.material_id: m for m in materials}
    out = []
    for item in returned.items:
        if item.item_id in questions:
            question = questions[item.item_id]
            now = answers.get(item.item_id)
            values = kept.get("values", {})
            was = values.get(item.item_id, now)
            changed = item.item_id in values and was != now
            after = _describe(question, now)
            if question.type == QType.ROSTER and changed:
                after = f"{after}（{_roster_change(question, was, now)}）"
            out.append(Correction(item.item_id, item.label, item.reason, _describe(question, was), after,
                                  changed, is_file=False))
        else:
            material = current.get(item.item_id)
            new_name = material.filename if material else NO_FILE
            files = kept.get("files", {})
            old = files.get(item.item_id)
            old_name = (old.get("filename") or NO_FILE) if isinstance(old, dict) else new_name
            out.append(Correction(item.item_id, item.label, item.reason, old_name, new_name,
                                  changed=item.item_id in files, is_file=True))
    return out
