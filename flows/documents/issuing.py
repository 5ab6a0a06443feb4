"""Which notices and certificates an act issues, in whose name, under which number, and what they say.

- accept at the prefecture: the acceptance notice (受理通知书), stating every stage's time limit
  (for a kind the province approves: the prefecture's and the province's). The province's own
  acceptance records who took the case and issues nothing: one application, one acceptance notice.
- return (to the applicant): the correction notice (补正材料告知书).
- reject: the refusal decision, titled by the kind (不予备案决定书 / 不予通过决定书), with the remedies.
- approve: the kind's certificate as its definition declares it (`Filing.certificate`).

Every document is issued in the name of the administrative organ of the acting officer's level (the
county's or prefecture's 公安局, the 公安厅), never an internal 支队/总队, which is printed as
承办单位; numbers are the organ's 机关代字 + the document type's part + 〔year〕 + serial, no zero
padding (flows/config.py). Generated once, inside the act's transaction; stored bytes are served.
"""

from __future__ import annotations

import base64
import os
import secrets
import string
from collections.abc import Callable
from datetime import date
from typing import Any

from flows import clock, environment
from flows.config import IssuingOrgan, get_config
from flows.documents import render as documents
from flows.documents import signing
from flows.filing.identifiers import mask_id
from flows.filing.places import place
from flows.filing.schema import CERTIFICATES, DetailRow, Filing, QType
from flows.ports import CaseView, NewDocument, ReturnItem, UnitOfWork
from flows.review.timelimits import PROVINCE_DAYS
from flows.review.transitions import Act, Actor, Role, Stage

TITLES = {"acceptance_notice": "受理通知书", "correction_notice": "补正材料告知书"}
# The acceptance that issues the acceptance notice: the prefecture's, where the application is received.
NOTICE_OF_ACCEPTANCE_AT = frozenset({Stage.PREFECTURE_ACCEPT})


def new_verification_code() -> str:
    """128 random bits, base32: 26 characters, unguessable, easy to read aloud."""
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=")


def verify_url(code: str, signature: str | None = None) -> str:
    """The verification page for this code; with the organ's signature when given (the QR code's link)."""
    base = os.environ.get("APP_BASE_URL", "http://localhost:8501").rstrip("/")
    url = f"{base}/verify?code={code}"
    return f"{url}&sig={signature}" if signature else url


def signed_url(*, code: str, number: str, case: CaseView, kind: str, issued_on: date) -> str:
    """The QR code's link: the code and the signature of what the certificate states."""
    claim = signing.Claim(code=code, number=number, unit_name=case.unit_name, credit_code=case.credit_code,
                          kind=kind, issued_on=issued_on)
    return verify_url(code, signing.sign(claim))


def issuing_organ(actor: Actor, case: CaseView) -> IssuingOrgan:
    """The administrative organ acting: the officer's own level (county, prefecture, or the department)."""
    config = get_config()
    if actor.role == Role.PROVINCE:
        return config.issuing_organ(config.province_code)
    return config.issuing_organ(actor.region_code or case.prefecture_code or config.province_code)


def document_number(uow: UnitOfWork, organ: IssuingOrgan, doc_type: str, year: int) -> str:
    """The organ's next number of this document type this year: 乌公治备字〔2026〕1号."""
    serial = uow.next_number(f"{organ.number_prefix(doc_type)}:{year}")
    return organ.number(doc_type, year, serial)


def _issuer(organ: IssuingOrgan) -> documents.Issuer:
    config = get_config()
    office = config.contact_for(organ.region_code)
    return documents.Issuer(organ=organ.name, undertaker=organ.undertaker, province=config.province_name,
                            seal=organ.seal, reconsideration=organ.reconsideration,
                            contact=f"{office.phone}（{office.name}）", specimen=environment.is_demo())


# ------------------------------------------------------------------ answers as printed text
def _date(value: Any) -> str:
    try:
        return documents.chinese_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "")


def answer_text(filing: Filing, answers: dict[str, Any], qid: str) -> str:
    """One answer as a certificate prints it: dates in 年月日, regions by name, choices joined, rows counted."""
    value = answers.get(qid)
    if value is None or value == "":
        return ""
    question = filing.question(qid)
    if question.type == QType.DATE:
        return _date(value)
    if question.type == QType.REGION:
        return place(value, "")
    if question.type == QType.MULTI_CHOICE and isinstance(value, list):
        return "、".join(str(v) for v in value)
    if question.type == QType.ROSTER and isinstance(value, list):
        return f"{len(value)}{question.row_unit}"
    if question.type == QType.YES_NO:
        return "是" if value else "否"
    if question.type == QType.FILING_REF and isinstance(value, dict):
        return str(value.get("number", ""))
    return str(value)


def row_text(row: DetailRow, filing: Filing, answers: dict[str, Any], facts: dict[str, str]) -> str:
    """The value of one detail row of a certificate."""
    if row.answer.startswith("@"):
        return facts.get(row.answer[1:], "")
    value = answers.get(row.answer)
    if row.show == "date":
        text = _date(value) if value else ""
    elif row.show == "period":
        start, end = _date(value) if value else "", _date(answers.get(row.until or "")) if row.until else ""
        text = f"{start}至{end}" if start and end else start or end
    elif row.show == "place":
        text = place(value, str(answers.get(row.address or "", "")) if row.address else "")
    elif row.show == "count":
        text = f"{len(value) if isinstance(value, list) else 0}人"
    elif row.show == "masked_id":
        text = mask_id(str(value)) if value else ""
    else:
        text = answer_text(filing, answers, row.answer)
    return f"{text}{row.suffix}" if text else ""


def _asked_of_this_case(row: DetailRow, filing: Filing, answers: dict[str, Any]) -> bool:
    """Whether a certificate prints this row: not when its question is one this case was not asked (the
    project of a property company, for a unit of another type; an answer left from before a change of type)."""
    if row.answer.startswith("@"):
        return True
    when = filing.question(row.answer).when
    return when is None or when.holds(answers)


class _Texts(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, filing: Filing, answers: dict[str, Any], facts: dict[str, str]) -> str:
    """A certificate paragraph with its {placeholders}: answers as printed text, and the case's facts."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    values = _Texts({name: answer_text(filing, answers, name) for name in names if name not in facts})
    values.update(facts)
    return template.format_map(values)


# ------------------------------------------------------------------ which act issues what
def issues_document(act: Act) -> bool:
    """Whether this act may issue a document (rendered before its transaction: flows.cases.act_on_case)."""
    return act in _BUILDERS


def documents_for(uow: UnitOfWork, act: Act, *, case: CaseView, filing: Filing, actor: Actor,
                  items: tuple[ReturnItem, ...], comment: str, today: date) -> tuple[NewDocument, ...]:
    """The documents this act issues (none for most acts)."""
    builder = _BUILDERS.get(act)
    if builder is None:
        return ()
    document = builder(uow, case, filing, actor, items, comment, today)
    return (document,) if document is not None else ()


Builder = Callable[[UnitOfWork, CaseView, Filing, Actor, tuple[ReturnItem, ...], str, date], NewDocument | None]


def _application(case: CaseView, filing: Filing, today: date) -> documents.Application:
    submitted = clock.local_date(case.submitted_at) if case.submitted_at else today
    return documents.Application(case_number=case.number or "", matter=filing.title, unit_name=case.unit_name,
                                 credit_code=case.credit_code, submitted_on=submitted)


def time_limit_lines(uow: UnitOfWork, case: CaseView, filing: Filing) -> list[str]:
    """What the acceptance notice says of the time limits: each stage's, with its date (预计 when the
    year's official holiday schedule is not known yet)."""
    if case.clock_started_on is None or case.clock_days is None:
        return []
    calendar = uow.calendar()
    due = calendar.due_date(case.clock_started_on, case.clock_days)
    guessed = "（该日期按推定的节假日安排计算，以国务院公布的安排为准）" if due.estimated else ""
    # "最迟于…办结": the due date is the last working day of the limit and counts ("于…前" would leave open
    # whether it does).
    when = "最迟预计于" if due.estimated else "最迟于"
    if not filing.route.province_approval:
        return [f"本机关将依照规定时限办理，{when}{documents.chinese_date(due.due)}办结{guessed}。"]
    department = get_config().department
    last = calendar.due_date(due.due, PROVINCE_DAYS)
    later = "（该日期按推定的节假日安排计算，以国务院公布的安排为准）" if last.estimated else ""
    return [
        f"本机关自材料收齐之日起5个工作日内完成审核，{when}{documents.chinese_date(due.due)}将审核意见报送"
        f"{department}{guessed}；{department}自收到审核意见之日起5个工作日内作出审核决定，"
        f"最迟{'预计于' if last.estimated else '于'}{documents.chinese_date(last.due)}办结{later}。",
    ]


def _acceptance(uow: UnitOfWork, case: CaseView, filing: Filing, actor: Actor,
                items: tuple[ReturnItem, ...], comment: str, today: date) -> NewDocument | None:
    if case.stage not in NOTICE_OF_ACCEPTANCE_AT:
        return None  # the province takes the case over: the applicant's acceptance notice was issued once
    organ = issuing_organ(actor, case)
    number = document_number(uow, organ, "acceptance_notice", today.year)
    spec = documents.acceptance_notice(number=number, application=_application(case, filing, today),
                                       issuer=_issuer(organ), issued_on=today,
                                       time_limits=time_limit_lines(uow, case, filing))
    return NewDocument("acceptance_notice", TITLES["acceptance_notice"], number, documents.render(spec))


def _correction(uow: UnitOfWork, case: CaseView, filing: Filing, actor: Actor,
                items: tuple[ReturnItem, ...], comment: str, today: date) -> NewDocument:
    organ = issuing_organ(actor, case)
    number = document_number(uow, organ, "correction_notice", today.year)
    listed = [(i.label.split("】", 1)[-1], i.reason) for i in items]
    spec = documents.correction_notice(number=number, application=_application(case, filing, today),
                                       issuer=_issuer(organ), issued_on=today, items=listed, note=comment or None)
    return NewDocument("correction_notice", TITLES["correction_notice"], number, documents.render(spec))


def _refusal(uow: UnitOfWork, case: CaseView, filing: Filing, actor: Actor,
             items: tuple[ReturnItem, ...], comment: str, today: date) -> NewDocument:
    organ = issuing_organ(actor, case)
    number = document_number(uow, organ, "rejection_decision", today.year)
    reasons = [line.strip() for line in comment.splitlines() if line.strip()]
    spec = documents.refusal_decision(title=filing.refusal_title, verb=filing.refusal_verb, number=number,
                                      application=_application(case, filing, today), issuer=_issuer(organ),
                                      issued_on=today, reasons=reasons)
    return NewDocument("rejection_decision", filing.refusal_title, number, documents.render(spec))


def _referenced_number(uow: UnitOfWork, case: CaseView) -> str:
    """The certificate number of the case this one refers to (what a cancellation cancels)."""
    if case.ref_case_id is None:
        return ""
    found = [doc.number for doc in uow.documents(case.ref_case_id) if doc.doc_type in CERTIFICATES]
    return found[-1] if found else ""


def _certificate(uow: UnitOfWork, case: CaseView, filing: Filing, actor: Actor,
                 items: tuple[ReturnItem, ...], comment: str, today: date) -> NewDocument:
    declared = filing.certificate
    answers = uow.answers(case.id)  # what the certificate states of the application
    organ = issuing_organ(actor, case)
    number = document_number(uow, organ, declared.doc_type, today.year)
    code = new_verification_code()
    facts = {"unit_name": case.unit_name, "credit_code": case.credit_code, "case_number": case.number or "",
             "number": number, "ref_number": _referenced_number(uow, case) or "（无）",
             "department": get_config().department}
    table = [(declared.number_label, number), (declared.unit_label, case.unit_name),
             ("统一社会信用代码", case.credit_code), (declared.matter_label, filing.title),
             *((row.label, row_text(row, filing, answers, facts)) for row in declared.rows
               if _asked_of_this_case(row, filing, answers))]
    if declared.result:
        table.append(("审核结果" if filing.route.province_approval else "结果", declared.result))
    table += [(declared.date_label, documents.chinese_date(today)), ("办件编号", case.number or "")]
    spec = documents.certificate(
        title=declared.title, number=number, issuer=_issuer(organ), issued_on=today,
        addressee=case.unit_name if declared.addressed else None,
        paragraphs=[fill(p, filing, answers, facts) for p in declared.body],
        closing=[fill(p, filing, answers, facts) for p in declared.closing],
        table=table, verification_code=code,
        verify_url=signed_url(code=code, number=number, case=case, kind=filing.kind, issued_on=today),
        footer=fill(declared.footer, filing, answers, facts) if declared.footer else None)
    # Listed and downloaded under the kind's short name (审核意见书); the PDF prints the full title.
    return NewDocument(declared.doc_type, filing.result_document, number, documents.render(spec), code)


_BUILDERS: dict[Act, Builder] = {
    Act.ACCEPT: _acceptance,
    Act.RETURN: _correction,
    Act.REJECT: _refusal,
    Act.APPROVE: _certificate,
}
