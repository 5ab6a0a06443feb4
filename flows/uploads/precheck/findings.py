"""Comparing what was read from a file with the answers: the findings shown to the applicant and the officer.

Computed when a page is drawn, from the stored reading and the answers as they are now: an applicant who
corrects an answer sees the warning go at once, without reading the file again. A pre-check warns; it
never blocks anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from flows.filing.schema import Filing, Material, Paper, ReadField
from flows.uploads.precheck.fields import normalise, normalise_name
from flows.uploads.precheck.reading import Reading, ReadValue

# not_run: the case ended before its file was read (the reader takes files of open cases only)
State = Literal["waiting", "running", "done", "failed", "not_run"]
SIMILAR = 0.8  # names this alike are taken as the same name read with a slip (said so, not warned about)

PAPER_LABELS = {Paper.BUSINESS_LICENCE: "营业执照", Paper.ID_CARD: "身份证", Paper.SECURITY_LICENCE: "保安服务许可证"}
FIELD_LABELS = {ReadField.CREDIT_CODE: ("统一社会信用代码", "代码"), ReadField.UNIT_NAME: ("名称", "名称"),
                ReadField.ID_NUMBER: ("公民身份号码", "号码"), ReadField.PERSON_NAME: ("姓名", "姓名"),
                ReadField.LICENCE_NUMBER: ("许可证编号", "编号")}
NOT_CHECKED = "未能自动核对"
NOT_RUN = "未进行自动核对（办件办结前未读取）"


@dataclass(frozen=True)
class Finding:
    """One thing the machine found about a file.

    `ok`: True (shown ✓), False (a problem: the applicant is warned), None (could not tell)."""

    key: str
    ok: bool | None
    officer: str  # the checklist line
    applicant: str = ""  # what the applicant is told; empty: nothing
    question_id: str | None = None  # the answer compared with (the applicant may correct it)
    answer_editable: bool = True  # False: the answer comes from the account (e.g. the unit's credit code)


@dataclass(frozen=True)
class MaterialCheck:
    material_id: str
    label: str
    state: State
    findings: tuple[Finding, ...] = ()
    confirmed: bool = False
    note: str = ""  # why it could not be checked

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.ok is False)

    @property
    def pending(self) -> bool:
        return self.state in ("waiting", "running")


Digest = Callable[[str], str]


def _where(value: ReadValue) -> str:
    return f"第{value.page}页{value.where}" if value.where else f"第{value.page}页"


def _same_name(read: str, answer: str) -> float:
    a, b = normalise_name(read), normalise_name(answer)
    return 1.0 if a == b else SequenceMatcher(None, a, b).ratio()


def _compare(filing: Filing, paper: Paper, read_field: ReadField, question_id: str, reading: Reading,
             answers: Mapping[str, Any], digest: Digest) -> Finding:
    key = f"{paper.value}.{read_field.value}"
    label, short = FIELD_LABELS[read_field]
    where_paper = PAPER_LABELS[paper]
    question = filing.question(question_id)
    editable = question.prefill is None
    answer = str(answers.get(question_id) or "")
    value = reading.value(paper.value, read_field.value)
    if value is None:
        return Finding(key, None, f"未识别出{where_paper}上的{label}",
                       f"未能从文件中识别出{where_paper}上的{label}。请确认上传的是清晰、完整的{where_paper}。",
                       question_id, editable)
    if not value.valid:
        return Finding(key, None, f"{label}未能清楚识别（识别结果未通过校验）",
                       f"文件中{where_paper}上的{label}未能清楚识别，请确认图片清晰、没有反光或遮挡。",
                       question_id, editable)
    if not answer:
        return Finding(key, None, f"尚未填写“{question.label}”，无法比对", "", question_id, editable)
    yours = "您填写的" if editable else "您账户登记的"
    where = _where(value)
    if read_field == ReadField.ID_NUMBER:
        same = bool(value.digest) and value.digest == digest(answer)
        if same:
            return Finding(key, True, f"{short}一致", "", question_id, editable)
        return Finding(key, False, f"{short}不一致：证件上为{value.value}（{where}）",
                       f"{where_paper}上的{label}是 {value.value}（{where}），与{yours}“{question.label}”不一致，请核对。",
                       question_id, editable)
    if read_field == ReadField.CREDIT_CODE:
        if normalise(value.value) == normalise(answer):
            return Finding(key, True, f"{short}一致", "", question_id, editable)
        return Finding(key, False, f"{short}不一致：证照上为{value.value}（{where}），填报为{normalise(answer)}",
                       f"{where_paper}上的{label}是 {value.value}（{where}），与{yours} {normalise(answer)} 不一致，请核对。",
                       question_id, editable)
    alike = _same_name(value.value, answer) if read_field != ReadField.LICENCE_NUMBER else \
        (1.0 if normalise(value.value) == normalise(answer) else SequenceMatcher(
            None, normalise(value.value), normalise(answer)).ratio())
    if alike == 1.0:
        return Finding(key, True, f"{short}一致", "", question_id, editable)
    if alike >= SIMILAR:
        return Finding(key, True, f"{short}基本一致（识别为“{value.value}”，请目视核对）", "", question_id, editable)
    return Finding(key, False, f"{short}不一致：{where_paper}上为“{value.value}”（{where}），填报为“{answer}”",
                   f"{where_paper}上的{label}是“{value.value}”（{where}），与{yours}“{answer}”不一致，请核对。",
                   question_id, editable)


def _page_findings(material: Material, reading: Reading) -> list[Finding]:
    found = []
    blank = [p.page for p in reading.pages if p.blank]
    if blank:
        pages = "、".join(f"第{n}页" for n in blank)
        found.append(Finding("pages.blank", False, f"{pages}为空白页",
                             f"“{material.label}”的{pages}是空白页。请检查是否扫描或拍照有误。"))
    for page in reading.pages:
        problems = [w for w, bad in (("过暗", page.dark), ("模糊", page.blurred), ("分辨率过低", page.small)) if bad]
        if problems:
            what = "、".join(problems)
            found.append(Finding(f"pages.{page.page}.unreadable", False, f"第{page.page}页图像{what}",
                                 f"“{material.label}”第{page.page}页图像{what}，审核人员可能看不清。"
                                 "建议在光线充足处重新拍摄或扫描后上传。"))
    sideways = [p.page for p in reading.pages if p.sideways]
    if sideways:
        pages = "、".join(f"第{n}页" for n in sideways)
        found.append(Finding("pages.sideways", None, f"{pages}方向不正（已自动转正后识别）"))
    if material.sealed:
        looked = [p for p in reading.pages if p.seal is not None and not p.blank]
        if any(p.seal for p in looked):
            found.append(Finding("seal", True, "检测到公章"))
        elif looked:
            found.append(Finding("seal", False, "未检测到公章",
                                 f"“{material.label}”中未检测到红色公章印迹。该材料应加盖单位公章，"
                                 "如未盖章，请盖章后重新上传；如确已盖章，可忽略此提示。"))
    return found


def check_material(filing: Filing, material: Material, state: State, reading: Reading | None,
                   answers: Mapping[str, Any], digest: Digest, *, confirmed: bool = False) -> MaterialCheck:
    """The findings for the current file of one material."""
    if state == "not_run":
        return MaterialCheck(material.id, material.label, "not_run", confirmed=confirmed)
    if state in ("waiting", "running") or reading is None:
        return MaterialCheck(material.id, material.label, state if reading is None else "done", confirmed=confirmed)
    if reading.status == "failed":
        return MaterialCheck(material.id, material.label, "failed", confirmed=confirmed, note=reading.note)
    findings: list[Finding] = []
    for reads in material.reads:
        for read_field, question_id in reads.compare:
            findings.append(_compare(filing, reads.paper, read_field, question_id, reading, answers, digest))
    findings += _page_findings(material, reading)
    return MaterialCheck(material.id, material.label, "done", tuple(findings), confirmed)
