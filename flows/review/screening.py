"""Automatic comparison (自动比对) of a proposed legal representative against five categories.

One interface, several sources. The verdict rules: a hit anywhere beats a clear; a category
that no source answered, or whose source failed, is "not done" — never a false clear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

CATEGORIES: tuple[str, ...] = ("criminal", "detention_education", "drug_rehab", "fugitive", "mental_incident")
# The five categories as the provincial notice names them: one set of labels, for officers and applicants.
CATEGORY_LABELS: dict[str, str] = {
    "criminal": "刑事犯罪前科",
    "detention_education": "收容收教",
    "drug_rehab": "强制戒毒（含强制隔离戒毒）",
    "fugitive": "网上逃犯",
    "mental_incident": "肇事肇祸精神病人",
}
# What the applicant is told of the comparison: that it was done, never its result.
DONE_FOR_APPLICANT = "已完成自动比对"
# Chinese names an import file may use for a category (the labels, and older or shorter names).
CATEGORY_ALIASES: dict[str, str] = {
    **{label: key for key, label in CATEGORY_LABELS.items()},
    **{key: key for key in CATEGORIES},
    "刑事犯罪": "criminal", "强制戒毒": "drug_rehab", "强制隔离戒毒": "drug_rehab", "收容教育": "detention_education",
    "肇事肇祸精神病": "mental_incident",
}


# Where the comparison asks (the administrator's choice): the local watch lists, the police network's
# service (adapters/screening_http.py), or nowhere (every category "not done").
EMBEDDED = "embedded"
NETWORK = "network"
OFF = "off"
SOURCE_LABELS = {EMBEDDED: "本地比对库", NETWORK: "公安网比对服务", OFF: "已关闭"}


class Outcome(StrEnum):
    HIT = "hit"
    CLEAR = "clear"
    NOT_DONE = "not_done"


OUTCOME_LABELS = {Outcome.HIT: "比中", Outcome.CLEAR: "未比中", Outcome.NOT_DONE: "未完成比对"}


@dataclass(frozen=True)
class CategoryResult:
    category: str
    outcome: Outcome
    source: str
    reference: str = ""  # the record's reference, for hits
    detail: str = ""  # why not done, for failures

    def to_json(self) -> dict[str, str]:
        return {"category": self.category, "outcome": str(self.outcome), "source": self.source,
                "reference": self.reference, "detail": self.detail}

    @staticmethod
    def from_json(data: dict[str, Any]) -> CategoryResult:
        return CategoryResult(category=str(data["category"]), outcome=Outcome(data["outcome"]),
                              source=str(data.get("source", "")), reference=str(data.get("reference", "")),
                              detail=str(data.get("detail", "")))


class SourceFailed(Exception):
    """A source could not answer (down, slow, nonsense); its categories become not done."""


class ScreeningSource(Protocol):
    """Answers, for one ID number, hit or clear per category it covers."""

    name: str
    categories: tuple[str, ...]

    def check(self, id_number: str) -> list[CategoryResult]: ...


@dataclass(frozen=True)
class ScreeningResult:
    at: datetime
    results: tuple[CategoryResult, ...]

    def outcome(self, category: str) -> Outcome:
        return next(r.outcome for r in self.results if r.category == category)

    @property
    def hits(self) -> list[CategoryResult]:
        return [r for r in self.results if r.outcome == Outcome.HIT]

    @property
    def not_done(self) -> list[CategoryResult]:
        return [r for r in self.results if r.outcome == Outcome.NOT_DONE]

    @property
    def fugitive_hit(self) -> bool:
        return self.outcome("fugitive") == Outcome.HIT

    def to_json(self) -> list[dict[str, str]]:
        return [r.to_json() for r in self.results]


def combine(answers: Sequence[CategoryResult]) -> tuple[CategoryResult, ...]:
    """One result per category: hit beats clear beats nothing; a category with nothing is not done."""
    merged: list[CategoryResult] = []
    for category in CATEGORIES:
        mine = [a for a in answers if a.category == category]
        hit = next((a for a in mine if a.outcome == Outcome.HIT), None)
        failed = next((a for a in mine if a.outcome == Outcome.NOT_DONE), None)
        clear = next((a for a in mine if a.outcome == Outcome.CLEAR), None)
        if hit is not None:
            merged.append(hit)
        elif failed is not None:
            merged.append(failed)  # one source failing on a category keeps it open, even if another cleared
        elif clear is not None:
            merged.append(clear)
        else:
            merged.append(CategoryResult(category, Outcome.NOT_DONE, "", detail="没有可用的比对数据源"))
    return tuple(merged)


def run_screening(sources: Sequence[ScreeningSource], id_number: str, *, at: datetime) -> ScreeningResult:
    """Ask every source; a failing source answers not done for each category it covers."""
    answers: list[CategoryResult] = []
    for source in sources:
        try:
            got = source.check(id_number)
        except SourceFailed as failure:
            answers.extend(CategoryResult(c, Outcome.NOT_DONE, source.name, detail=str(failure))
                           for c in source.categories)
            continue
        answered = {r.category for r in got}
        answers.extend(r for r in got if r.category in CATEGORIES)
        answers.extend(CategoryResult(c, Outcome.NOT_DONE, source.name, detail="数据源未答复此类别")
                       for c in source.categories if c not in answered)
    return ScreeningResult(at=at, results=combine(answers))


def _labels(results: Sequence[CategoryResult]) -> str:
    return "、".join(CATEGORY_LABELS[r.category] for r in results)


def approval_blocker(result: ScreeningResult | None, justification: str, *, acting: str = "通过") -> str | None:
    """Why the case cannot be approved (or reported favourably, `acting`) without a written reason:
    the comparison is not done, or it found something. None when it can."""
    if justification.strip():
        return None
    if result is None or result.not_done:
        missing = "全部类别" if result is None else _labels(result.not_done)
        return (f"自动比对尚未完成（{missing}），不能{acting}。请重新比对；确需在未完成比对的情况下{acting}的，"
                f"请在“仍予{acting}的理由”中写明理由。")
    if result.hits:
        return (f"自动比对比中{_labels(result.hits)}，不能直接{acting}。请核查；经核查确需{acting}的，"
                f"请在“仍予{acting}的理由”中写明理由（记入办理记录和审计日志）。")
    return None


def override_note(result: ScreeningResult | None, justification: str, *, acting: str = "通过") -> str:
    """The line the history keeps when an officer goes on despite a hit or an unfinished comparison ("" if none)."""
    reason = justification.strip()
    if not reason:
        return ""
    if result is None or result.not_done:
        return f"未完成比对仍予{acting}的理由：{reason}"
    if result.hits:
        return f"自动比对比中{_labels(result.hits)}，仍予{acting}的理由：{reason}"
    return ""
