"""Who decides what, and in whose name: the decisions of each kind, read as a table.

Each row: a kind, an act at a stage, the one role that may do it there, and the document it issues
(title, the administrative organ printed as issuer, the number's pattern). A row whose role is "—"
is refused to everyone. Every row is carried out through the use cases on a real database; the
documents are read back with pypdf. County 天山区 (650102) of 乌鲁木齐市 (650100); province 650000.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from flows import cases
from flows.clock import CHINA
from flows.errors import DomainError
from flows.ports import CaseView, ReturnItem
from flows.review.transitions import Act, Role, Stage
from store import blobs
from store.screening import configured_sources
from tests.support import World, filled_draft, make_world, submitted

DECISIONS = """
kind | act                  | at stage          | who may     | document                          | issued in the name of       | number
A    | accept               | prefecture_accept | prefecture  | 受理通知书                         | 乌鲁木齐市公安局              | 乌公治受字〔2026〕N号
A    | return               | prefecture_accept | prefecture  | 补正材料告知书                     | 乌鲁木齐市公安局              | 乌公治补字〔2026〕N号
A    | return               | prefecture_review | prefecture  | 补正材料告知书                     | 乌鲁木齐市公安局              | 乌公治补字〔2026〕N号
A    | report               | prefecture_review | prefecture  | —                                 |                             |
A    | reject               | prefecture_review | —           | —                                 |                             |
A    | approve              | prefecture_review | —           | —                                 |                             |
A    | accept               | province_accept   | province    | —                                 |                             |
A    | return_to_prefecture | province_review   | province    | —                                 |                             |
A    | return               | province_review   | —           | —                                 |                             |
A    | approve              | province_review   | province    | 审核意见书                         | 新疆维吾尔自治区公安厅          | 新公治审字〔2026〕N号
A    | reject               | province_review   | province    | 不予通过决定书                      | 新疆维吾尔自治区公安厅          | 新公治决字〔2026〕N号
B    | confirm              | county_confirm    | county      | —                                 |                             |
B    | return               | county_confirm    | county      | 补正材料告知书                     | 乌鲁木齐市公安局天山区分局      | 乌公天治补字〔2026〕N号
B    | accept               | prefecture_accept | prefecture  | 受理通知书                         | 乌鲁木齐市公安局              | 乌公治受字〔2026〕N号
B    | return               | prefecture_review | prefecture  | 补正材料告知书                     | 乌鲁木齐市公安局              | 乌公治补字〔2026〕N号
B    | report               | prefecture_review | —           | —                                 |                             |
B    | approve              | prefecture_review | prefecture  | 备案证明                           | 乌鲁木齐市公安局              | 乌公治备字〔2026〕N号
B    | reject               | prefecture_review | prefecture  | 不予备案决定书                     | 乌鲁木齐市公安局              | 乌公治决字〔2026〕N号
C    | confirm              | county_confirm    | county      | —                                 |                             |
C    | accept               | prefecture_accept | prefecture  | 受理通知书                         | 乌鲁木齐市公安局              | 乌公治受字〔2026〕N号
C    | approve              | prefecture_review | prefecture  | 备案证明                           | 乌鲁木齐市公安局              | 乌公治备字〔2026〕N号
C    | reject               | prefecture_review | prefecture  | 不予备案决定书                     | 乌鲁木齐市公安局              | 乌公治决字〔2026〕N号
D    | approve              | prefecture_review | prefecture  | 撤销备案证明                       | 乌鲁木齐市公安局              | 乌公治撤字〔2026〕N号
D    | reject               | prefecture_review | prefecture  | 不予备案决定书                     | 乌鲁木齐市公安局              | 乌公治决字〔2026〕N号
"""

DAY = date(2026, 11, 27)
NOW = datetime.combine(DAY, time(11), tzinfo=CHINA)
OFFICERS = {"county": Role.COUNTY, "prefecture": Role.PREFECTURE, "province": Role.PROVINCE}
HANDLERS = {"乌鲁木齐市公安局": "乌鲁木齐市公安局治安管理支队", "新疆维吾尔自治区公安厅": "新疆维吾尔自治区公安厅治安管理总队"}


@dataclass(frozen=True)
class Decision:
    kind: str
    act: Act
    stage: Stage
    who: str  # county | prefecture | province | — (no one)
    document: str
    organ: str
    number: str

    def __str__(self) -> str:
        return f"{self.kind} {self.act.value}@{self.stage.value} by {self.who}"


def _table() -> list[Decision]:
    lines = [line for line in DECISIONS.strip().splitlines()[1:] if line.strip()]
    rows = []
    for line in lines:
        kind, act, stage, who, document, organ, number = (cell.strip() for cell in line.split("|"))
        rows.append(Decision(kind, Act(act), Stage(stage), who, "" if document == "—" else document, organ, number))
    return rows


TABLE = _table()


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


# How to bring a fresh case of each kind to each stage (acts by role, with what they need).
PATHS: dict[Stage, list[tuple[str, Act]]] = {
    Stage.COUNTY_CONFIRM: [],
    Stage.PREFECTURE_ACCEPT: [("county", Act.CONFIRM)],
    Stage.PREFECTURE_REVIEW: [("county", Act.CONFIRM), ("prefecture", Act.ACCEPT)],
    Stage.PROVINCE_ACCEPT: [("prefecture", Act.ACCEPT), ("prefecture", Act.REPORT)],
    Stage.PROVINCE_REVIEW: [("prefecture", Act.ACCEPT), ("prefecture", Act.REPORT), ("province", Act.ACCEPT)],
}


def options(act: Act) -> dict[str, object]:
    if act == Act.RETURN:
        return {"items": (ReturnItem("other", "【材料】其他材料", "请补充说明"),)}
    if act in (Act.REJECT, Act.RETURN_TO_PREFECTURE):
        return {"comment": "不符合法定条件。"}
    if act == Act.REPORT:
        return {"comment": "经审核，拟同意。", "opinion": "favourable"}
    return {}


def do(world: World, who: str, case: CaseView, act: Act) -> CaseView:
    with world.uow() as uow:
        version = uow.case(case.id).version
    return cases.act_on_case(world.uow(), getattr(world, who).actor, case.id, act, expected_version=version,
                             now=NOW, **options(act))  # type: ignore[arg-type]


def case_at(world: World, kind: str, stage: Stage) -> CaseView:
    if kind == "D":
        original = case_at(world, "C", Stage.PREFECTURE_REVIEW)
        original = do(world, "prefecture", original, Act.APPROVE)
        case = submitted(world, "D", today=DAY, filing_ref={"case_id": original.id})
    else:
        case = submitted(world, kind, today=DAY)
    for who, act in PATHS[stage]:
        if act == Act.CONFIRM and kind == "A":
            continue
        case = do(world, who, case, act)
    assert case.stage == stage, (kind, stage, case.stage)
    return case


def pdf_text(sha256: str) -> str:
    reader = PdfReader(io.BytesIO(blobs.get(sha256)))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def number_pattern(number: str) -> re.Pattern[str]:
    return re.compile(re.escape(number).replace("N", r"[1-9]\d*") + "$")


@pytest.mark.parametrize("decision", TABLE, ids=str)
def test_each_decision_is_taken_by_whom_the_table_says_and_issues_what_it_says(world: World,
                                                                               decision: Decision) -> None:
    case = case_at(world, decision.kind, decision.stage)
    for who in OFFICERS:
        if who == decision.who:
            continue
        with pytest.raises(DomainError):
            do(world, who, case, decision.act)
    if decision.who == "—":
        return
    with world.uow() as uow:
        before = len(uow.documents(case.id))
    do(world, decision.who, case, decision.act)
    with world.uow() as uow:
        issued = uow.documents(case.id)[before:]
    if not decision.document:
        assert issued == [], f"{decision}: issued {[d.title for d in issued]}"
        return
    (document,) = issued
    assert document.title == decision.document
    assert number_pattern(decision.number).match(document.number), document.number
    text = pdf_text(document.sha256)
    assert decision.document in text and document.number in text
    assert decision.organ in text
    assert "支队" not in decision.organ and "总队" not in decision.organ  # an administrative organ issues
    if decision.organ in HANDLERS:
        assert f"承办单位：{HANDLERS[decision.organ]}" in text
    if decision.act == Act.REJECT:
        assert "60日内" in text and "行政复议" in text and "6个月内" in text and "行政诉讼" in text
        hears = "新疆维吾尔自治区人民政府" if decision.organ == "新疆维吾尔自治区公安厅" else "乌鲁木齐市人民政府"
        assert f"60日内向{hears}申请行政复议" in text.replace("\n", "")
    if decision.document == "审核意见书":
        # The provision that requires the review, beside the conditions (before: 第八条 alone).
        assert "第八条" in text and "第十二条第三款" in text.replace("\n", "")
    if decision.document in ("受理通知书", "补正材料告知书") or decision.act == Act.REJECT:
        # Whom to phone, on every notice and decision to the applicant (before: none).
        phone = "0991-5586122" if decision.organ == "新疆维吾尔自治区公安厅" else "0991-2310110"
        assert f"联系电话：{phone}" in text.replace("\n", "")


def test_the_province_takes_over_without_a_second_acceptance_notice_and_the_one_notice_states_both_limits(
    world: World,
) -> None:
    case = case_at(world, "A", Stage.PROVINCE_REVIEW)
    with world.uow() as uow:
        notices = [d for d in uow.documents(case.id) if d.doc_type == "acceptance_notice"]
    assert len(notices) == 1
    text = pdf_text(notices[0].sha256)
    assert "5个工作日内完成审核" in text and "报送新疆维吾尔自治区公安厅" in text
    assert "自收到审核意见之日起5个工作日内" in text and "最迟于2026年12月11日办结" in text
    assert "预计" not in text  # 2026's holiday schedule is official: no date is an estimate


def test_an_acceptance_notice_whose_limits_run_into_a_year_not_yet_official_says_the_dates_are_estimates(
    world: World,
) -> None:
    late = date(2026, 12, 28)
    case = submitted(world, "A", today=late)
    accepted = cases.act_on_case(world.uow(), world.prefecture.actor, case.id, Act.ACCEPT,
                                 expected_version=case.version, now=datetime.combine(late, time(11), tzinfo=CHINA))
    with world.uow() as uow:
        [notice] = [d for d in uow.documents(accepted.id) if d.doc_type == "acceptance_notice"]
    text = pdf_text(notice.sha256)
    assert "预计于2027年" in text and "最迟预计于2027年" in text
    assert "以国务院公布的安排为准" in text


def test_numbers_count_per_organ_and_document_type_without_padding(world: World) -> None:
    first = do(world, "prefecture", case_at(world, "C", Stage.PREFECTURE_REVIEW), Act.APPROVE)
    second = do(world, "prefecture", case_at(world, "B", Stage.PREFECTURE_REVIEW), Act.APPROVE)
    with world.uow() as uow:
        numbers = [d.number for c in (first, second) for d in uow.documents(c.id) if d.doc_type == "filing_certificate"]
    assert numbers == ["乌公治备字〔2026〕1号", "乌公治备字〔2026〕2号"]


@pytest.mark.parametrize(("app_env", "marked"), [("", True), ("production", False)])
def test_a_demos_documents_say_they_are_specimens_and_a_real_services_do_not(
        world: World, monkeypatch: pytest.MonkeyPatch, app_env: str, marked: bool) -> None:
    """Before: the demo's notices and certificates carried a realistic seal and nothing saying 演示."""
    monkeypatch.setenv("APP_ENV", app_env)
    case = case_at(world, "C", Stage.PREFECTURE_ACCEPT)
    do(world, "prefecture", case, Act.ACCEPT)
    with world.uow() as uow:
        (notice,) = uow.documents(case.id)
    text = pdf_text(notice.sha256)
    assert ("演示环境生成的样本文书，不具有法律效力" in text) is marked
    assert ("演示样本" in text) is marked


def test_a_filing_certificate_names_a_property_companys_project_and_no_other_units(world: World) -> None:
    """Before: the row 守护区域 printed the area's address and the project a property company serves was missing."""
    property_case = do(world, "prefecture", case_at(world, "C", Stage.PREFECTURE_REVIEW), Act.APPROVE)
    # Another unit first answered as a property company, then corrected its type: its project answer is left
    # over but no longer asked, and the certificate does not state it.
    draft = filled_draft(world, "C", today=DAY)
    cases.save_answer(world.uow(), world.applicant.actor, draft.id, "unit_type", "企业", today=DAY)
    with world.uow() as uow:
        version = uow.case(draft.id).version
    other = cases.submit(world.uow(), world.applicant.actor, draft.id, expected_version=version,
                         now=datetime.combine(DAY, time(10), tzinfo=CHINA), sources=configured_sources(world.engine))
    for who, act in [*PATHS[Stage.PREFECTURE_REVIEW], ("prefecture", Act.APPROVE)]:
        other = do(world, who, other, act)
    texts = {}
    for case in (property_case, other):
        with world.uow() as uow:
            (certificate,) = [d for d in uow.documents(case.id) if d.doc_type == "filing_certificate"]
        texts[case.id] = pdf_text(certificate.sha256)
    assert "物业项目名称幸福家园小区" in texts[property_case.id]
    assert "守护区域地址乌鲁木齐市天山区幸福路6号" in texts[property_case.id]
    assert "单位类型企业" in texts[other.id] and "守护区域地址乌鲁木齐市天山区幸福路6号" in texts[other.id]
    assert "物业项目" not in texts[other.id] and "幸福家园小区" not in texts[other.id]
