"""The vocabulary of a filing definition: questions, materials, conditions, route.

A filing is data. Each kind in `flows/kinds/` builds one frozen `Filing`; the registry
validates it at import so a broken definition fails at start-up, not in front of a user.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


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
    roster_rule: Literal["qualifying_years_5"] | None = None  # ROSTER only: extra rule

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
        return self


class Material(Frozen):
    id: str
    label: str
    hint: str = ""
    required: bool = True
    allowed: tuple[Literal["pdf", "jpeg", "png"], ...] = ("pdf", "jpeg", "png")
    max_mb: int = 10
    when: When | None = None

    @model_validator(mode="after")
    def _has_types(self) -> Material:
        if not self.allowed:
            raise ValueError(f"material {self.id}: no allowed file types")
        return self


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
    location_field: str  # the REGION or FILING_REF question that places the case
    unit_types: tuple[str, ...] = ()  # which applicants see this kind; empty = all
    screening_field: str | None = None  # an ID-number question whose person is screened (自动比对)

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
        if self.screening_field is not None and self.screening_field not in ids:
            raise ValueError(f"filing {self.kind}: screening field {self.screening_field} is not a question")
        location = {q.id: q for q in self.questions}.get(self.location_field)
        if location is None or location.type not in (QType.REGION, QType.FILING_REF):
            raise ValueError(f"filing {self.kind}: location field must be a region or filing question")
        if self.route.county_confirm and location.type == QType.REGION and not location.county:
            raise ValueError(f"filing {self.kind}: county confirmation needs a county in the location")
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
