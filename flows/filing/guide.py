"""The guided conversation: from (definition, answers, uploads) to the next thing to ask.

A pure function, recomputed on every rerun; it never raises to steer. Where the applicant
is in a filing is therefore always derivable from what the database holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from flows.clock import chinese_date
from flows.errors import FieldError
from flows.filing.answers import check_answer, qualifying_years, roster_warnings, window_warning
from flows.filing.schema import SECURITY_COMPANY, SELF_RECRUITING, Filing, Material, QType, Question


@dataclass(frozen=True)
class Progress:
    done: int
    total: int


@dataclass(frozen=True)
class Step:
    kind: Literal["ask", "upload", "summary"]
    question: Question | None = None
    material: Material | None = None
    progress: Progress = field(default_factory=lambda: Progress(0, 0))

    @property
    def item_id(self) -> str | None:
        if self.question is not None:
            return self.question.id
        if self.material is not None:
            return self.material.id
        return None


def unit_mismatch(filing: Filing, unit_name: str) -> str | None:
    """A warning when the unit's name suggests this kind is not for it, or None. A guess from the name (a
    security service company's name carries 保安 in practice; the account records no licence type), so it
    warns and never refuses: a property company starting a kind for security companies most likely meant
    自行招用保安员单位备案, and a security company does not file that one."""
    security = "保安" in unit_name
    if SECURITY_COMPANY in filing.unit_types and not security:
        return (f"“{filing.short_title}”由保安服务公司办理。贵单位名称中没有“保安”字样：如贵单位是自己招用保安员的"
                "机关、团体、企业、事业单位或物业服务企业，应办理“自行招用保安员单位备案”，请点击下方“选择其他业务”。")
    if SELF_RECRUITING in filing.unit_types and security:
        return (f"“{filing.short_title}”由自行招用保安员的单位办理，保安服务公司无需办理。如贵单位确为自行招用保安员的"
                "单位，可继续办理；否则请点击下方“选择其他业务”。")
    return None


def unit_mismatch_reminder(filing: Filing, unit_name: str) -> str | None:
    """One line recalling `unit_mismatch`'s warning above the first question (the warning itself is shown with the
    instructions, and is gone once they are confirmed), or None."""
    if unit_mismatch(filing, unit_name) is None:
        return None
    who = "保安服务公司" if SECURITY_COMPANY in filing.unit_types else "自行招用保安员的单位"
    return (f"提醒：“{filing.short_title}”由{who}办理，请确认贵单位需要办理本业务。如选错了，请点击上方“办理其他业务”；"
            "不需要的草稿可在“我的办件”中删除。")


def relevant_questions(filing: Filing, answers: Mapping[str, Any]) -> list[Question]:
    """The questions that apply given the answers so far (conditions hold)."""
    return [q for q in filing.questions if q.when is None or q.when.holds(dict(answers))]


def relevant_materials(filing: Filing, answers: Mapping[str, Any]) -> list[Material]:
    return [m for m in filing.materials if m.when is None or m.when.holds(dict(answers))]


def asked_questions(filing: Filing, answers: Mapping[str, Any]) -> list[Question]:
    """Relevant questions the applicant answers (prefilled ones are never asked)."""
    return [q for q in relevant_questions(filing, answers) if q.prefill is None]


def next_step(filing: Filing, answers: Mapping[str, Any], uploaded: Set[str], *, skipped: Set[str] = frozenset(),
              only: Set[str] | None = None, done_items: Set[str] = frozenset()) -> Step:
    """The next question or material, or the summary when nothing is left.

    `skipped` are the optional materials the applicant chose not to give; `only` limits the conversation to
    the items an officer's correction notice names; `done_items` are those of them already corrected.
    """
    questions = asked_questions(filing, answers)
    materials = relevant_materials(filing, answers)
    if only is not None:
        questions = [q for q in questions if q.id in only]
        materials = [m for m in materials if m.id in only]
    total = len(questions) + len(materials)
    done = 0
    pending: Step | None = None
    for q in questions:
        answered = q.id in done_items if only is not None else q.id in answers
        if answered:
            done += 1
        elif pending is None:
            pending = Step("ask", question=q)
    for m in materials:
        if only is not None:
            finished = m.id in done_items
        else:
            finished = m.id in uploaded or m.id in skipped
        if finished:
            done += 1
        elif pending is None:
            pending = Step("upload", material=m)
    progress = Progress(done, total)
    if pending is None:
        return Step("summary", progress=progress)
    return Step(pending.kind, question=pending.question, material=pending.material, progress=progress)


def problems_before_submit(filing: Filing, answers: Mapping[str, Any], uploaded: Set[str],
                           *, today: date) -> list[FieldError]:
    """Re-check the whole definition: every answer valid, every required material present."""
    problems: list[FieldError] = []
    for q in relevant_questions(filing, answers):
        if q.id not in answers:
            if q.required:
                problems.append(FieldError(f"“{q.label}”尚未填写。", field=q.id))
            continue
        if q.type == QType.FILING_REF:
            continue  # checked against the store by the use case
        try:
            check_answer(q, answers[q.id], today=today, answers=answers)
        except FieldError as error:
            problems.append(error)
    for m in relevant_materials(filing, answers):
        if m.required and m.id not in uploaded:
            problems.append(FieldError(f"尚未上传“{m.label}”。", field=m.id))
    return problems


def _ruled_answers(filing: Filing, answers: Mapping[str, Any]) -> Iterator[tuple[Question, Any]]:
    """The answered questions that carry a rule giving warnings: a date window, a roster rule."""
    for q in relevant_questions(filing, answers):
        value = answers.get(q.id)
        if value is None:
            continue
        if q.type == QType.DATE and q.window is not None:
            try:
                yield q, date.fromisoformat(str(value))
            except ValueError:
                continue
        elif q.type == QType.ROSTER:
            yield q, value


def filing_warnings(filing: Filing, answers: Mapping[str, Any], *, today: date) -> list[str]:
    """Warnings an officer must see with the case (a filing window missed, and the like)."""
    warnings: list[str] = []
    for q, value in _ruled_answers(filing, answers):
        if q.window is not None:
            if warning := window_warning(q.window, value, today):
                warnings.append(f"{q.label}：{warning}")
            continue
        try:
            warnings.extend(f"{q.label}：{w}" for w in check_answer(q, value, today=today).warnings)
        except FieldError:
            pass
    return warnings


def officer_warnings(filing: Filing, answers: Mapping[str, Any], *, submitted_on: date) -> list[str]:
    """The same findings as `filing_warnings`, worded for the officer: what the dates say, counted from
    the day the case was (first) submitted, and what to check."""
    found: list[str] = []
    for q, value in _ruled_answers(filing, answers):
        if q.window is not None:
            if window_warning(q.window, value, submitted_on) is not None:
                found.append(_window_finding(q, value, submitted_on))
            continue
        found.extend(f"{q.label}：{w}" for w in _row_findings(q, value, submitted_on))
        rule = q.roster_rule
        if rule is None or not isinstance(value, list):
            continue
        try:
            years = qualifying_years(value, rule)
        except (KeyError, TypeError, ValueError):
            continue
        if years < rule.years:
            found.append(f"{q.label}：标为符合条件的工作经历合计约{years:.1f}年，不足法定的{rule.years}年。"
                         "请核实工作经历证明。")
    return found


def _row_findings(q: Question, value: Any, on: date) -> list[str]:
    """A roster's per-row warnings (an empty 保安员证 number, a person under 18), naming the rows."""
    if not isinstance(value, list):
        return []
    try:
        return roster_warnings(q, value, on)
    except (FieldError, KeyError, TypeError, ValueError):
        return []


def _window_finding(q: Question, day: date, submitted_on: date) -> str:
    window = q.window
    assert window is not None
    facts = f"{q.label}为{chinese_date(day)}，提交日期为{chinese_date(submitted_on)}"
    if window.rule == "within_days_after":
        late = (submitted_on - day).days
        return (f"逾期申报：{facts}，相隔{late}日，超过{window.days}日的申报期限{late - window.days}日。"
                "可受理，请在审核意见中记录逾期情况。")
    if window.rule == "before_submission":
        return f"事后备案：{facts}，服务在备案前已经开始（应在开始服务前备案）。请核实实际开始服务的时间。"
    return f"日期存疑：{facts}，晚于提交日期。请核实是否填写有误。"
