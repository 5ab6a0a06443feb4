"""The vocabulary of a filing definition: questions, materials, conditions, route.

A filing is data. Each kind in `flows/kinds/` builds one frozen `Filing`; the registry
validates it at import so a broken definition fails at start-up, not in front of a user.
"""

from __future__ import annotations

import string
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Facts of the case a certificate's text may name besides the answers (filled by flows/documents/issuing.py).
CERTIFICATE_FACTS = frozenset({"unit_name", "credit_code", "case_number", "number", "ref_number", "department"})


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QType(StrEnum):
    """What kind of answer a question takes; decides the widget and the check."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    YES_NO = "yes_no"
    DATE = "date"
    NUMBER = "number"
    USCC = "uscc"  # unified social credit code
    ID_NUMBER = "id_number"  # resident ID number
    MOBILE = "mobile"
    PHONE = "phone"  # landline or mobile
    REGION = "region"  # prefecture, then county (unless `county=False`)
    ROSTER = "roster"  # a table of people or periods, one row each
    FILING_REF = "filing_ref"  # one of the unit's own filed cases


class ColType(StrEnum):
    TEXT = "text"
    ID_NUMBER = "id_number"
    MOBILE = "mobile"
    DATE = "date"
    YES_NO = "yes_no"


class Column(Frozen):
    """One column of a roster."""

    id: str
    label: str
    type: ColType = ColType.TEXT
    required: bool = True
    hint: str = ""
    max_length: int = 100
    # A warning the officer sees per row (never a refusal): the cell left empty.
    warn_if_empty: str | None = None
    # ID_NUMBER only: a row whose person is younger is refused, naming the row and the rule.
    min_age: int | None = None
    min_age_rule: str = ""


class When(Frozen):
    """Ask a question (or require a material) only when an earlier answer matches."""

    field: str
    equals: str | bool | None = None
    one_of: tuple[str, ...] = ()

    def holds(self, answers: dict[str, object]) -> bool:
        value = answers.get(self.field)
        if self.one_of:
            return value in self.one_of
        return value == self.equals


class DateWindow(Frozen):
    """A filing window on a date answer; breaking it warns, it never blocks."""

    rule: Literal["within_days_after", "not_after_today_plus", "before_submission"]
    days: int = 0
    warning: str


class YearsRule(Frozen):
    """ROSTER only: the periods (`start`–`end` columns) of the rows marked in the `flag` column must add up to
    `years`, overlaps counted once; falling short warns the applicant and the officer, it never refuses."""

    years: int = Field(ge=1)
    start: str
    end: str
    flag: str


class Question(Frozen):
    id: str
    section: str
    label: str
    type: QType
    hint: str = ""
    example: str = ""
    required: bool = True
    options: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    min_rows: int = 0
    max_rows: int = 500
    max_length: int = 200
    when: When | None = None
    # Where an already-known value comes from; such a question is never asked.
    prefill: Literal["unit.name", "unit.credit_code", "account.contact", "account.mobile"] | None = None
    window: DateWindow | None = None
    county: bool = True  # REGION only: also ask the county
    unique_column: str | None = None  # ROSTER only: a column whose values must not repeat
    roster_rule: YearsRule | None = None  # ROSTER only: extra rule naming its own columns
    row_unit: str = "人"  # ROSTER only: what one row is, in "共3人" / "共2段"
    min_age: int | None = None  # ID_NUMBER only: the person must be at least this old (refused otherwise)
    # ID_NUMBER only: the question holding this person's name. The same number given for another person
    # (a question "<x>_id" beside "<x>_name", as flows.kinds.common.person_questions makes them) under
    # another name is refused; under the same name it is one person holding two posts.
    name_question: str | None = None
    # CHOICE only: "other_province" refuses the province that runs the product (a cross-province filing).
    choice_rule: Literal["other_province"] | None = None
    not_before: str | None = None  # DATE only: an earlier date question this date must not precede
    future_refused: str = ""  # DATE only: a date after today is refused with this message (what happened, not plans)
    # An earlier question this answer must not equal (a branch's credit code is not its head office's), and
    # what the refusal says.
    differs_from: str | None = None
    differs_message: str = ""
    # TEXT only: the REGION question of the place this address is in. An address beginning with the name of
    # another prefecture, or another county of the chosen prefecture, is refused (the place decides which
    # police organ handles the case, and the certificate prints both).
    in_region: str | None = None

    @property
    def compares_answers(self) -> bool:
        """Whether checking this answer reads the case's other answers (flows.filing.answers.check_answer)."""
        return bool(self.not_before or self.name_question or self.differs_from or self.in_region)

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.type in (QType.CHOICE, QType.MULTI_CHOICE) and not self.options:
            raise ValueError(f"question {self.id}: a choice needs options")
        if self.type == QType.ROSTER and not self.columns:
            raise ValueError(f"question {self.id}: a roster needs columns")
        if self.type != QType.ROSTER and self.columns:
            raise ValueError(f"question {self.id}: only a roster has columns")
        if self.window is not None and self.type != QType.DATE:
            raise ValueError(f"question {self.id}: a date window needs a date question")
        if self.unique_column and self.unique_column not in {c.id for c in self.columns}:
            raise ValueError(f"question {self.id}: unique column {self.unique_column} is not a column")
        if self.roster_rule is not None:
            if self.type != QType.ROSTER:
                raise ValueError(f"question {self.id}: only a roster has a roster rule")
            rule = self.roster_rule
            for column in (rule.start, rule.end, rule.flag):
                if column not in {c.id for c in self.columns}:
                    raise ValueError(f"question {self.id}: the roster rule names unknown column {column}")
        return self


class ReadField(StrEnum):
    """A value the pre-check (智能预审) reads from a document."""

    CREDIT_CODE = "credit_code"  # 统一社会信用代码 (checked with both check characters)
    UNIT_NAME = "unit_name"  # 名称 / 公司名称
    ID_NUMBER = "id_number"  # 公民身份号码 (checked with its check digit)
    PERSON_NAME = "person_name"  # 姓名
    LICENCE_NUMBER = "licence_number"  # 保安服务许可证编号


class Paper(StrEnum):
    """A kind of paper the pre-check knows the layout of."""

    BUSINESS_LICENCE = "business_licence"  # 营业执照 (also 事业单位法人证书 and the like: 名称 + 代码)
    ID_CARD = "id_card"  # 居民身份证 (front)
    SECURITY_LICENCE = "security_licence"  # 保安服务许可证


class Reads(Frozen):
    """What the pre-check reads from one document in a material, and which answer each value must match."""

    paper: Paper
    compare: tuple[tuple[ReadField, str], ...]  # (value read, question id it must match)


class Material(Frozen):
    id: str
    label: str
    hint: str = ""
    required: bool = True
    allowed: tuple[Literal["pdf", "jpeg", "png"], ...] = ("pdf", "jpeg", "png")
    max_mb: int = 10
    when: When | None = None
    reads: tuple[Reads, ...] = ()  # documents the pre-check looks for in the file (智能预审)
    sealed: bool = False  # must bear the unit's seal: the pre-check looks for a red seal impression

    @model_validator(mode="after")
    def _has_types(self) -> Material:
        if not self.allowed:
            raise ValueError(f"material {self.id}: no allowed file types")
        return self

    @property
    def prechecked(self) -> bool:
        """Whether the pre-check looks at this material at all."""
        return bool(self.reads) or self.sealed


class Route(Frozen):
    """Who reviews: the county confirms first (B, C, D); the province approves last (A)."""

    county_confirm: bool
    province_approval: bool


class Instructions(Frozen):
    """The online instructions (网上操作须知) and service guide text, in one place."""

    who: str
    when: str
    materials_note: str
    process: str
    time_limit: str
    result: str
    basis: str
    faq: tuple[tuple[str, str], ...] = ()  # (question, answer)


class DetailRow(Frozen):
    """One row of a certificate's table: a label and where its value comes from in the answers.

    `show`: how the answer prints — as typed (`text`), a date in 年月日 (`date`), a period between
    two date answers (`period`, with `until`), a place as region and address (`place`, with
    `address`: the address answer), the number of roster rows (`count`, "12人"), a list of choices
    (`list`), an ID number masked (`masked_id`). An `answer` starting with "@" names a fact of the case
    instead (flows/documents/issuing.FACTS, e.g. "@ref_number").
    """

    label: str
    answer: str
    show: Literal["text", "date", "period", "place", "count", "list", "masked_id"] = "text"
    until: str | None = None  # period: the answer holding the end date
    address: str | None = None  # place: the answer holding the detailed address
    suffix: str = ""  # printed after the value, e.g. "（面积）"

    @model_validator(mode="after")
    def _shape(self) -> DetailRow:
        if self.show == "period" and not self.until:
            raise ValueError(f"row {self.label}: a period needs `until`")
        return self


class DocType(StrEnum):
    """The documents a case may issue (numbered by flows/config.DOCUMENT_TYPES)."""

    ACCEPTANCE_NOTICE = "acceptance_notice"
    CORRECTION_NOTICE = "correction_notice"
    REJECTION_DECISION = "rejection_decision"
    FILING_CERTIFICATE = "filing_certificate"
    CANCELLATION_CERTIFICATE = "cancellation_certificate"
    REVIEW_DOCUMENT = "review_document"


# What an approval issues: the documents a kind's definition may declare as its certificate.
CERTIFICATES: frozenset[str] = frozenset({DocType.FILING_CERTIFICATE, DocType.CANCELLATION_CERTIFICATE,
                                          DocType.REVIEW_DOCUMENT})


class Certificate(Frozen):
    """What a kind's approval issues: the document, who issues it, and what it says.

    `doc_type` names it for numbering (flows/config.DOCUMENT_TYPES); `issuer` is the level whose
    administrative organ issues it, which must be the level that approves on the kind's route.
    `body` and `closing` are paragraphs with {placeholders}: {unit_name}, {credit_code},
    {case_number}, {number}, {ref_number} (the certificate of the case this one refers to), and any
    answer id (as text, dates in 年月日). `result` is what the table says was decided.
    """

    doc_type: Literal["filing_certificate", "cancellation_certificate", "review_document"]
    title: str
    issuer: Literal["prefecture", "province"]
    addressed: bool = False  # addressed to the unit ("你公司…") rather than a statement to anyone
    body: tuple[str, ...]
    closing: tuple[str, ...] = ()
    number_label: str = "备案编号"
    unit_label: str = "备案单位"
    matter_label: str = "备案事项"
    date_label: str = "备案日期"
    result: str = ""  # what was decided, as a table row (审核结果：同意变更)
    rows: tuple[DetailRow, ...] = ()
    footer: str = ""
    cancels_referenced: bool = False  # approving cancels the filing the case refers to (FILING_REF)


LedgerBook = Literal["current", "cancelled", "representatives"]


class LedgerColumn(Frozen):
    """A column of a ledger that a kind fills from its answers.

    `parts` are templates with {answer ids}; a part whose answers are all empty is left out, so
    ("{area_address}", "（{area_size}）") prints no empty brackets. Answers print as a ledger shows
    them: a region by its full name, a list joined with 、, a roster as its number of rows, others as typed.
    """

    label: str
    parts: tuple[str, ...]


class LedgerEntry(Frozen):
    """Where a kind's approved cases are listed (台账) and what its own columns say.

    `current`: the units filed (their rosters' sizes summed as 保安员人数, `headcount` naming the roster);
    `representatives`: the approved changes of legal representative; `cancelled`: this kind's approvals
    cancel a filing listed in the cancelled ledger, its columns describing the cancellation.
    """

    book: LedgerBook
    columns: tuple[LedgerColumn, ...] = ()
    headcount: str | None = None  # a roster answer whose rows are counted (current book)


class Days(Frozen):
    """An example date: this many days from today (negative: before)."""

    days: int


class Person(Frozen):
    """An example resident ID number: the n-th of the demo people."""

    n: int = Field(ge=0)


class Here(Frozen):
    """An example region: the demo's prefecture, and its county unless `county=False`."""

    county: bool = True


class Referenced(Frozen):
    """An example FILING_REF answer: the filing the demo or the test refers to."""


def example_value(value: Any, *, today: date, ids: tuple[str, ...], prefecture: str, county: str | None,
                  filing_ref: dict[str, Any] | None) -> Any:
    """An example answer as a user would give it: dates, people, places and references made concrete."""
    if isinstance(value, Days):
        return (today + timedelta(days=value.days)).isoformat()
    if isinstance(value, Person):
        return ids[value.n]
    if isinstance(value, Here):
        return {"prefecture": prefecture, "county": county if value.county else None}
    if isinstance(value, Referenced):
        return dict(filing_ref or {})
    if isinstance(value, dict):
        return {k: example_value(v, today=today, ids=ids, prefecture=prefecture, county=county,
                                 filing_ref=filing_ref) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [example_value(v, today=today, ids=ids, prefecture=prefecture, county=county,
                              filing_ref=filing_ref) for v in value]
    return value


SECURITY_COMPANY = "保安服务公司"
SELF_RECRUITING = "自行招用保安员单位"


class Filing(Frozen):
    kind: str = Field(pattern=r"^[A-Z]$")
    title: str
    short_title: str
    summary: str  # one sentence: who needs this
    version: int = Field(ge=1)
    route: Route
    sections: tuple[str, ...]
    questions: tuple[Question, ...]
    materials: tuple[Material, ...]
    instructions: Instructions
    result_document: str  # e.g. 备案证明
    certificate: Certificate
    # The final refusal's title: 不予备案决定书 for a filing, 不予通过决定书 for an approval.
    refusal_title: str = "不予备案决定书"
    refusal_verb: str = "不予备案"
    location_field: str  # the REGION or FILING_REF question that places the case
    # Which applicants this kind is for (SECURITY_COMPANY, SELF_RECRUITING); empty = any. A unit whose name says
    # otherwise is warned before it starts (flows.filing.guide.unit_mismatch), never refused.
    unit_types: tuple[str, ...] = ()
    screening_field: str | None = None  # an ID-number question whose person is screened (自动比对)
    ledger: LedgerEntry | None = None  # the ledger (台账) listing its approved cases; None: in none
    cancels: tuple[str, ...] = ()  # the kinds whose filings an approval of this one cancels (its FILING_REF)
    # What the baseline list's 业务类型 column may call this kind (besides its letter and short title);
    # a kind without names is none the baseline counts.
    baseline_names: tuple[str, ...] = ()
    # Answers that pass every check (prefilled ones left out), with Days/Person/Here/Referenced
    # placeholders: the demo data and the tests file these.
    examples: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Filing:
        ids = [q.id for q in self.questions]
        if len(ids) != len(set(ids)):
            raise ValueError(f"filing {self.kind}: duplicate question ids")
        mids = [m.id for m in self.materials]
        if len(mids) != len(set(mids)):
            raise ValueError(f"filing {self.kind}: duplicate material ids")
        if set(ids) & set(mids):
            raise ValueError(f"filing {self.kind}: a material and a question share an id")
        seen: set[str] = set()
        for q in self.questions:
            if q.section not in self.sections:
                raise ValueError(f"filing {self.kind}: question {q.id} in unknown section {q.section}")
            if q.when is not None and q.when.field not in seen:
                raise ValueError(f"filing {self.kind}: question {q.id} depends on {q.when.field}, not asked before")
            seen.add(q.id)
        for m in self.materials:
            if m.when is not None and m.when.field not in seen:
                raise ValueError(f"filing {self.kind}: material {m.id} depends on unknown {m.when.field}")
            for reads in m.reads:
                for _field, qid in reads.compare:
                    if qid not in seen:
                        raise ValueError(f"filing {self.kind}: material {m.id} compares with unknown question {qid}")
        if self.screening_field is not None and self.screening_field not in ids:
            raise ValueError(f"filing {self.kind}: screening field {self.screening_field} is not a question")
        location = {q.id: q for q in self.questions}.get(self.location_field)
        if location is None or location.type not in (QType.REGION, QType.FILING_REF):
            raise ValueError(f"filing {self.kind}: location field must be a region or filing question")
        if self.route.county_confirm and location.type == QType.REGION and not location.county:
            raise ValueError(f"filing {self.kind}: county confirmation needs a county in the location")
        approver = "province" if self.route.province_approval else "prefecture"
        if self.certificate.issuer != approver:
            raise ValueError(f"filing {self.kind}: the certificate is issued by the {approver}, who approves")
        for row in self.certificate.rows:
            for answer in (row.answer, row.until, row.address):
                if answer is not None and answer not in ids and not answer.startswith("@"):
                    raise ValueError(f"filing {self.kind}: certificate row {row.label} names unknown {answer}")
        for template in (*self.certificate.body, *self.certificate.closing, self.certificate.footer):
            for _, name, _, _ in string.Formatter().parse(template):
                if name and name not in ids and name not in CERTIFICATE_FACTS:
                    raise ValueError(f"filing {self.kind}: certificate text names unknown {{{name}}}")
        for q in self.questions:
            for other in (q.not_before, q.differs_from):
                if other is not None and other not in seen:
                    raise ValueError(f"filing {self.kind}: {q.id} compares with unknown {other}")
            regions = {r.id for r in self.questions if r.type == QType.REGION}
            if q.in_region is not None and (q.type != QType.TEXT or q.in_region not in regions):
                raise ValueError(f"filing {self.kind}: {q.id} must be a text lying in a region question")
        if (self.certificate.cancels_referenced or self.cancels) and location.type != QType.FILING_REF:
            raise ValueError(f"filing {self.kind}: only a filing that refers to another can cancel it")
        if bool(self.cancels) != self.certificate.cancels_referenced:
            raise ValueError(f"filing {self.kind}: a filing that cancels names the kinds it cancels")
        if self.ledger is not None:
            if (self.ledger.book == "cancelled") != bool(self.cancels):
                raise ValueError(f"filing {self.kind}: the cancelled ledger lists what a cancelling kind cancels")
            if self.ledger.headcount is not None and self.ledger.headcount not in ids:
                raise ValueError(f"filing {self.kind}: ledger headcount {self.ledger.headcount} is not a question")
            for column in self.ledger.columns:
                for part in column.parts:
                    for _, name, _, _ in string.Formatter().parse(part):
                        if name and name not in ids:
                            raise ValueError(f"filing {self.kind}: ledger column {column.label} names unknown "
                                             f"{{{name}}}")
        for qid in self.examples:
            if qid not in ids:
                raise ValueError(f"filing {self.kind}: example answers unknown question {qid}")
        return self

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def material(self, mid: str) -> Material:
        for m in self.materials:
            if m.id == mid:
                return m
        raise KeyError(mid)
