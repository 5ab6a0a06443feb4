"""Use cases: each runs inside one unit of work and either commits all of it or nothing.

Pages call these and turn `DomainError` into the message at the right place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from flows import clock
from flows.documents import issuing
from flows.errors import ActRefused, DomainError, FieldError, NotFound, StaleCase, refuse_too_long
from flows.filing.answers import Checked, check_answer
from flows.filing.corrections import file_facts, keep_before
from flows.filing.guide import filing_warnings, problems_before_submit
from flows.filing.schema import Filing, QType, Route
from flows.kinds import act_name, cancellable_kinds, cancelling_kinds, get_filing, stage_name
from flows.ports import (
    CaseChange,
    CaseView,
    DocumentView,
    DraftState,
    EventView,
    FiledCase,
    MaterialView,
    NewDocument,
    ReturnItem,
    UnitOfWork,
)
from flows.review.screening import (
    CATEGORY_LABELS,
    ScreeningResult,
    ScreeningSource,
    approval_blocker,
    override_note,
    run_screening,
)
from flows.review.timelimits import clock_from_history
from flows.review.transitions import (
    STAGE_LABELS,
    Act,
    Actor,
    Role,
    Stage,
    decide,
    in_jurisdiction,
)
from flows.uploads.checks import CheckedFile, check_upload

EDITABLE = frozenset({Stage.DRAFT, Stage.RETURNED})
LICENCE_LINE = "已核对营业执照（或登记证书）：单位名称、统一社会信用代码与申请一致"
LICENCE_MISSING = ("申请单位的账号待核验：请对照营业执照（或登记证书）核对单位名称和统一社会信用代码，"
                   "确认无误后勾选“已核对营业执照”再办理。")


def case_number(kind: str, case_id: int, on: date) -> str:
    """Kind letter, date, and the case id: unique without a counter to race on."""
    return f"{kind}{on:%Y%m%d}{case_id:06d}"


def filing_of(case: CaseView) -> Filing:
    return get_filing(case.kind)


def load_visible(uow: UnitOfWork, actor: Actor, case_id: int) -> CaseView:
    """The case if this person may see it; otherwise NotFound (never say which)."""
    case = uow.case(case_id)
    if case.stage == Stage.DRAFT and actor.role != Role.APPLICANT:
        raise NotFound()
    if not in_jurisdiction(actor, case.at(filing_of(case).route)):
        raise NotFound()
    return case


def _editable(uow: UnitOfWork, actor: Actor, case_id: int, item_id: str | None = None) -> CaseView:
    case = load_visible(uow, actor, case_id)
    if actor.role != Role.APPLICANT:
        raise ActRefused("只有申请单位可以修改申请内容。")
    if case.stage not in EDITABLE:
        raise ActRefused(f"办件当前状态为“{STAGE_LABELS[case.stage]}”，不能修改。")
    if case.stage == Stage.RETURNED and item_id is not None and item_id not in (case.open_items or ()):
        raise ActRefused("此项不在补正告知书所列范围内，无需修改。")
    return case


def mark_messages_read(uow: UnitOfWork, actor: Actor) -> int:
    """Every unread message of the person marked read ("全部标为已读"); how many."""
    with uow:
        count = uow.mark_messages_read(actor.user_id)
        uow.commit()
    return count


def start_draft(uow: UnitOfWork, actor: Actor, kind: str, *, unit_name: str, credit_code: str,
                contact: str, mobile: str) -> CaseView:
    """A new draft with the answers already known from the account filled in."""
    if actor.role != Role.APPLICANT or actor.unit_id is None:
        raise ActRefused("只有申请单位可以发起申请。")
    filing = get_filing(kind)
    known = {"unit.name": unit_name, "unit.credit_code": credit_code, "account.contact": contact,
             "account.mobile": mobile}
    answers = {q.id: known[q.prefill] for q in filing.questions if q.prefill is not None}
    with uow:
        case = uow.new_draft(kind=kind, definition_version=filing.version, actor=actor, unit_name=unit_name,
                             credit_code=credit_code, answers=answers)
        uow.commit()
        return case


def confirm_instructions(uow: UnitOfWork, actor: Actor, case_id: int) -> None:
    with uow:
        _editable(uow, actor, case_id)
        uow.mark_instructions_read(case_id)
        uow.commit()


def discard_draft(uow: UnitOfWork, actor: Actor, case_id: int, *, expected_version: int) -> None:
    """删除草稿: the unit's own draft, never submitted, deleted with its answers and uploaded files; the audit
    log keeps that it was. A submitted case is not deleted: it can be withdrawn."""
    with uow:
        case = _editable(uow, actor, case_id)
        if case.stage != Stage.DRAFT or case.submitted_at is not None:
            raise ActRefused("只有尚未提交的草稿可以删除；已提交的申请可以撤回。")
        if case.version != expected_version:
            raise StaleCase("此草稿已在别处更新，请刷新页面后再删除。")
        files = uow.delete_draft(case, actor)
        uow.commit()
    for sha256 in files:
        uow.discard_file(sha256)


def _mark_corrected(uow: UnitOfWork, case: CaseView, item_id: str, before: Any, *, file: bool) -> None:
    """While returned: the item counts as corrected, and its value before the first change is kept."""
    if case.stage != Stage.RETURNED:
        return
    state = uow.draft_state(case.id)
    returns = [e.id for e in uow.events(case.id) if e.act == Act.RETURN]
    kept = keep_before(state.before_correction, returns[-1] if returns else 0, item_id, before, file=file)
    if item_id not in state.corrected or kept is not None:
        uow.save_draft_state(case.id, replace(state, corrected=state.corrected | {item_id},
                                              before_correction=kept or state.before_correction))


def save_answer(uow: UnitOfWork, actor: Actor, case_id: int, question_id: str, raw: object,
                *, today: date) -> Checked:
    """Check and keep one answer at once; FieldError leaves the stored answer as it was."""
    with uow:
        case = _editable(uow, actor, case_id, question_id)
        question = filing_of(case).question(question_id)
        if question.prefill is not None:
            raise ActRefused("此项来自您的账户信息，无需填写。")
        if question.type == QType.FILING_REF:
            checked = Checked(_check_filing_ref(uow, case, raw))
        else:
            # Read only for a rule comparing two answers: an end date and its start, two people's ID numbers,
            # an address and its place.
            others = uow.answers(case_id) if question.compares_answers else None
            checked = check_answer(question, raw, today=today, answers=others)
        before = uow.answers(case_id).get(question_id) if case.stage == Stage.RETURNED else None
        uow.save_answer(case_id, question_id, checked.value, by=actor.user_id)
        _mark_corrected(uow, case, question_id, before, file=False)
        uow.commit()
        return checked


def _check_filing_ref(uow: UnitOfWork, case: CaseView, raw: object) -> dict[str, Any]:
    wanted = raw.get("case_id") if isinstance(raw, dict) else raw
    for filed in uow.filed_cases(case.unit_id, kinds=filing_of(case).cancels, cancelling=cancelling_kinds()):
        if filed.case_id == wanted:
            return {"case_id": filed.case_id, "number": filed.number, "prefecture": filed.prefecture_code,
                    "county": filed.county_code}
    raise FieldError("请从本单位已备案且未撤销的办件中选择。", field="filing_ref")


DUPLICATE_NOTE = "重复申报提示："


def _standing_filings(uow: UnitOfWork, case: CaseView, filing: Filing) -> list[str]:
    """A warning for the officer when the unit already holds a valid filing of the same kind (one that
    another kind cancels, like the self-recruiting unit's): a second one is likely filed twice."""
    if case.kind not in cancellable_kinds():
        return []
    standing = [f for f in uow.filed_cases(case.unit_id, kinds=[case.kind], cancelling=cancelling_kinds())
                if f.case_id != case.id]
    return [f"{DUPLICATE_NOTE}本单位已有有效的{filing.short_title}（办件编号{f.number}"
            + (f"，{clock.chinese_date(f.approved_on)}办结" if f.approved_on else "") + "），请核实本次申报是否重复。"
            for f in standing]


def filing_choices(uow: UnitOfWork, actor: Actor, kind: str | None = None) -> list[FiledCase]:
    """The unit's filed, not cancelled cases that a case of `kind` may cancel (any cancellation: None)."""
    if actor.unit_id is None:
        return []
    kinds = get_filing(kind).cancels if kind is not None else cancellable_kinds()
    with uow:
        return uow.filed_cases(actor.unit_id, kinds=kinds, cancelling=cancelling_kinds())


def skip_material(uow: UnitOfWork, actor: Actor, case_id: int, material_id: str) -> None:
    with uow:
        case = _editable(uow, actor, case_id, material_id)
        material = filing_of(case).material(material_id)
        if material.required:
            raise ActRefused(f"“{material.label}”是必交材料，不能跳过。")
        state = uow.draft_state(case_id)
        uow.save_draft_state(case_id, replace(state, skipped=state.skipped | {material_id}))
        uow.commit()


def upload_material(uow: UnitOfWork, actor: Actor, case_id: int, material_id: str, *, filename: str,
                    data: bytes) -> tuple[CheckedFile, MaterialView]:
    """Check the bytes, store them, and make this file the material's current one."""
    with uow:
        material = filing_of(_editable(uow, actor, case_id, material_id)).material(material_id)
    # Checked and stored outside the write transaction: a long PDF must not hold up everyone else's writes.
    try:
        checked = check_upload(data, filename, allowed=material.allowed, max_bytes=material.max_mb * 1024 * 1024)
    except FieldError as error:
        error.field = material_id
        raise
    sha256 = uow.put_file(data)  # the file first, then the row that names it
    with uow:
        case = _editable(uow, actor, case_id, material_id)  # again: it may have been submitted meanwhile
        replaced = current_materials(uow, case_id).get(material_id) if case.stage == Stage.RETURNED else None
        view = uow.add_material(case_id, material_id, filename=filename, sha256=sha256, size=len(data),
                                file_type=checked.file_type, pages=checked.pages, actor=actor)
        _mark_corrected(uow, case, material_id, file_facts(replaced), file=True)
        uow.commit()
        return checked, view


def current_materials(uow: UnitOfWork, case_id: int) -> dict[str, MaterialView]:
    return {m.material_id: m for m in uow.materials(case_id)}


@dataclass(frozen=True)
class Draft:
    """Everything the assistant needs to redraw a case the applicant is working on."""

    case: CaseView
    answers: dict[str, Any]
    materials: dict[str, MaterialView]
    events: list[EventView]
    documents: list[DocumentView]
    state: DraftState = DraftState()

    @property
    def filing(self) -> Filing:
        return filing_of(self.case)

    @property
    def corrected(self) -> frozenset[str]:
        return self.state.corrected

    @property
    def correction(self) -> EventView | None:
        """The return event whose notice the applicant is answering (when returned)."""
        if self.case.stage != Stage.RETURNED:
            return None
        returns = [e for e in self.events if e.act == Act.RETURN]
        return returns[-1] if returns else None


def load_draft(uow: UnitOfWork, actor: Actor, case_id: int) -> Draft:
    """A case with its answers, current materials, history and documents, if the actor may see it."""
    with uow:
        case = load_visible(uow, actor, case_id)
        return Draft(case=case, answers=uow.answers(case_id), materials=current_materials(uow, case_id),
                     events=uow.events(case_id), documents=uow.documents(case_id), state=uow.draft_state(case_id))


def _location(filing: Filing, answers: dict[str, Any]) -> tuple[str, str | None]:
    value = answers.get(filing.location_field)
    if not isinstance(value, dict) or not value.get("prefecture"):
        raise FieldError("尚未选择办理地点。", field=filing.location_field)
    county = value.get("county")
    return str(value["prefecture"]), str(county) if county else None


def _clock_updates(uow: UnitOfWork, case: CaseView, act: Act, today: date) -> dict[str, Any]:
    history = [(e.act, clock.local_date(e.at)) for e in uow.events(case.id)] + [(act, today)]
    running = clock_from_history(history)
    if running is None:
        return {"clock_started_on": None, "clock_days": None, "due_on": None}
    if (running.started_on, running.days) == (case.clock_started_on, case.clock_days) and case.due_on is not None:
        return {}  # the same clock runs on (a county's confirmation): its due date stands
    due = uow.calendar().due_date(running.started_on, running.days).due
    return {"clock_started_on": running.started_on, "clock_days": running.days, "due_on": due}


def submit(uow: UnitOfWork, actor: Actor, case_id: int, *, expected_version: int,
           now: datetime | None = None, sources: Sequence[ScreeningSource] = ()) -> CaseView:
    """Validate the whole definition again, place the case, start the clock, send it on."""
    now = now or clock.now()
    today = clock.local_date(now)
    with uow:
        case = load_visible(uow, actor, case_id)
        if case.version != expected_version:
            raise StaleCase()
        filing = filing_of(case)
        act = Act.SUBMIT if case.stage == Stage.DRAFT else Act.RESUBMIT
        target = decide(actor, case.at(filing.route), act)
        answers = uow.answers(case_id)
        uploaded = set(current_materials(uow, case_id))
        problems = problems_before_submit(filing, answers, uploaded, today=today)
        if problems:
            raise problems[0]
        if act == Act.RESUBMIT:
            corrected = uow.draft_state(case_id).corrected
            missing = [i for i in (case.open_items or ()) if i not in corrected]
            if missing:
                labels = "、".join(_item_label(filing, i) for i in missing)
                raise ActRefused(f"请先补正以下事项后再提交：{labels}。")
        prefecture, county = _location(filing, answers)
        updates: dict[str, Any] = {
            "prefecture_code": prefecture, "county_code": county, "open_items": None,
            "warnings": filing_warnings(filing, answers, today=today) + _standing_filings(uow, case, filing),
            "submitted_at": now,
            **_clock_updates(uow, case, act, today),
        }
        if act == Act.SUBMIT:
            updates["number"] = case_number(case.kind, case.id, today)
        if filing.location_field and filing.question(filing.location_field).type == QType.FILING_REF:
            if act == Act.SUBMIT:  # chosen earlier: since then another request may be cancelling it
                try:
                    _check_filing_ref(uow, case, answers[filing.location_field])
                except FieldError:
                    raise FieldError("所选的备案已有另一份撤销申请在办理，或已被撤销，本申请不能再提交。"
                                     "请到“我的办件”查看那份申请。", field=filing.location_field) from None
            updates["ref_case_id"] = int(answers[filing.location_field]["case_id"])
        number = updates.get("number", case.number)
        change = CaseChange(act=act, to_stage=target, actor=actor, at=now, updates=updates,
                            notify=f"您的办件{number}已提交，{STAGE_LABELS[target]}。")
        uow.apply(case, change)
        if act == Act.RESUBMIT:  # the next return starts a new round; the values before stay for the officer
            uow.save_draft_state(case_id, replace(uow.draft_state(case_id), corrected=frozenset()))
        uow.commit()
    if filing.screening_field:
        # After the submission is safe: a slow or failing source must never lose it.
        _screen(uow, case_id, str(answers.get(filing.screening_field, "")), sources, requested_by=None, now=now)
    with uow:
        return uow.case(case_id)


def _screen(uow: UnitOfWork, case_id: int, id_number: str, sources: Sequence[ScreeningSource], *,
            requested_by: int | None, now: datetime) -> ScreeningResult:
    result = run_screening(sources, id_number, at=now)
    with uow:
        earlier = uow.screenings(case_id)
        uow.save_screening(case_id, result, requested_by=requested_by)
        if result.fugitive_hit and not (earlier and earlier[0].fugitive_hit):
            case = uow.case(case_id)
            uow.alert_officers(case, fugitive_alert(case))
        uow.commit()
    return result


def fugitive_alert(case: CaseView) -> str:
    """The immediate alert to the prefecture's and the province's officers (no ID number in it)."""
    return (f"紧急提示：办件{case.number}（{case.unit_name}）的拟任法定代表人自动比对比中"
            f"{CATEGORY_LABELS['fugitive']}，请立即核查并依法处置。")


def rescreen(uow: UnitOfWork, actor: Actor, case_id: int, sources: Sequence[ScreeningSource], *,
             now: datetime | None = None) -> ScreeningResult:
    """An officer of the case's jurisdiction runs the comparison again."""
    with uow:
        case = load_visible(uow, actor, case_id)
        if actor.role not in (Role.PREFECTURE, Role.PROVINCE):
            raise ActRefused("只有州、市、地公安机关和公安厅可以重新比对。")
        field = filing_of(case).screening_field
        if field is None:
            raise ActRefused("此类业务不需要自动比对。")
        id_number = str(uow.answers(case_id).get(field, ""))
    return _screen(uow, case_id, id_number, sources, requested_by=actor.user_id, now=now or clock.now())


def screening_history(uow: UnitOfWork, actor: Actor, case_id: int) -> list[ScreeningResult]:
    """The comparison results, newest first: officers only; applicants learn only that it was done."""
    if actor.role not in (Role.PREFECTURE, Role.PROVINCE):
        raise ActRefused("比对结果仅供公安机关审核人员查看。")
    with uow:
        load_visible(uow, actor, case_id)
        return uow.screenings(case_id)


def screening_done(uow: UnitOfWork, actor: Actor, case_id: int) -> bool:
    """What an applicant may know: whether a comparison has been run."""
    with uow:
        load_visible(uow, actor, case_id)
        return bool(uow.screenings(case_id))


def _item_label(filing: Filing, item_id: str) -> str:
    for q in filing.questions:
        if q.id == item_id:
            return q.label
    for m in filing.materials:
        if m.id == item_id:
            return m.label
    return item_id


def correctable_items(case: CaseView) -> list[tuple[str, str]]:
    """The case's own questions and materials an officer may name in a correction notice."""
    filing = filing_of(case)
    # Materials first: they are what is returned most often.
    items = [(m.id, f"【材料】{m.label}") for m in filing.materials]
    items += [(q.id, f"【填报】{q.label}") for q in filing.questions if q.prefill is None]
    return items


def verifies_unit(act: Act, case: CaseView, route: Route) -> bool:
    """Whether this act is the one that checks an unverified unit's licence: the county's confirmation, or
    the prefecture's acceptance where no county confirms (kind A)."""
    if act == Act.CONFIRM:
        return True
    return act == Act.ACCEPT and case.stage == Stage.PREFECTURE_ACCEPT and not route.county_confirm


# How long an officer's texts may be (an act's comment is printed in its document).
COMMENT_MAX, JUSTIFICATION_MAX, ITEM_REASON_MAX = 1000, 500, 200


def _refuse_too_long(*, comment: str, internal: str, justification: str, items: Sequence[ReturnItem]) -> None:
    """A text over its limit is refused with its name and length, never cut short: the form keeps it."""
    for field, label, text, most in (("comment", "意见或理由", comment, COMMENT_MAX),
                                     ("internal_comment", "内部意见", internal, COMMENT_MAX),
                                     ("justification", "理由", justification, JUSTIFICATION_MAX),
                                     *(("items", f"“{i.label}”的补正要求", i.reason, ITEM_REASON_MAX) for i in items)):
        refuse_too_long(label, text.strip(), most, then="办理", field=field)


OPINIONS = {"favourable": "拟同意", "unfavourable": "拟不同意"}  # a report's recommendation to the province

# An act that issues a document renders it before its write transaction with the document number the
# sequence will give next; if another act of the same organ drew that number meanwhile, it renders again.
NUMBER_ATTEMPTS = 5


def act_on_case(uow: UnitOfWork, actor: Actor, case_id: int, act: Act, *, expected_version: int,
                now: datetime | None = None, comment: str = "", internal_comment: str = "",
                items: tuple[ReturnItem, ...] = (), justification: str = "", opinion: str = "",
                licence_checked: bool = False) -> CaseView:
    """An officer's act (or the applicant's withdrawal), with its notices, in one transaction.

    A report to the province states its recommendation (`opinion`: favourable or unfavourable). Approving,
    or reporting favourably, a case whose automatic comparison found something or is not done needs a
    written `justification`, kept in the history and the audit log.

    The transaction holds no slow work: a document the act issues is rendered and stored beforehand (from
    a read of the case), and the transaction checks that the case and the document numbers are still
    those the document was made with; a lost race discards the rendered file.

    The act that checks a unit's licence (verifies_unit) needs `licence_checked` while the unit is unverified,
    and then verifies it in the same transaction."""
    now = now or clock.now()
    if act in (Act.SUBMIT, Act.RESUBMIT):
        raise ActRefused("请使用提交功能。")
    _refuse_too_long(comment=comment, internal=internal_comment, justification=justification, items=items)
    plan = _ActPlan(actor, case_id, act, expected_version, now, comment.strip(), internal_comment, items,
                    justification, opinion, licence_checked)
    if not issuing.issues_document(act):
        with uow:
            case, change = plan.checked(uow)
            plan.verify_unit(uow, case)
            uow.apply(case, change)
            uow.commit()
            return uow.case(case_id)
    for _attempt in range(NUMBER_ATTEMPTS):
        with uow.reading() as reader:
            read, prepared = plan.checked(reader, documents=True)
            numbers = reader.drawn_numbers()
        stored = [uow.put_file(document.data) for document in prepared.documents]
        committed = False
        try:
            with uow:
                case, change = plan.checked(uow)
                if case.version != read.version:
                    raise StaleCase()
                # Drawn in the order the rendering drew them; another act may have taken one meanwhile.
                if all(uow.next_number(key) == value for key, value in numbers.items()):
                    plan.verify_unit(uow, case)
                    uow.apply(case, replace(change, documents=prepared.documents))
                    uow.commit()
                    committed = True
                    return uow.case(case_id)
        finally:
            if not committed:
                for sha256 in stored:
                    uow.discard_file(sha256)
    raise StaleCase()


@dataclass(frozen=True)
class _ActPlan:
    """What an officer asked for, checked against the case as a unit of work reads it."""

    actor: Actor
    case_id: int
    act: Act
    expected_version: int
    now: datetime
    comment: str
    internal_comment: str
    items: tuple[ReturnItem, ...]
    justification: str
    opinion: str
    licence_checked: bool

    def verify_unit(self, uow: UnitOfWork, case: CaseView) -> None:
        """Marks the case's unit verified when this act checks its licence (checked() made sure the officer
        ticked the licence line)."""
        if verifies_unit(self.act, case, filing_of(case).route) and not uow.unit_verified(case.unit_id):
            uow.verify_unit(case.unit_id, self.actor, self.now)

    def checked(self, uow: UnitOfWork, *, documents: bool = False) -> tuple[CaseView, CaseChange]:
        """The case and the change the act makes to it (refused with a domain error when it may not);
        with `documents`, the documents it issues, rendered (numbers drawn from `uow`)."""
        actor, act, items, comment = self.actor, self.act, self.items, self.comment
        today = clock.local_date(self.now)
        internal_comment = self.internal_comment
        case = load_visible(uow, actor, self.case_id)
        if case.version != self.expected_version:
            raise StaleCase()
        filing = filing_of(case)
        target = decide(actor, case.at(filing.route), act)
        if (verifies_unit(act, case, filing.route) and not self.licence_checked
                and not uow.unit_verified(case.unit_id)):
            raise FieldError(LICENCE_MISSING, field="licence")
        updates: dict[str, Any] = dict(_clock_updates(uow, case, act, today))
        if act == Act.RETURN:
            known = dict(correctable_items(case))
            if not items and not comment:
                raise FieldError("退回时请至少列出一项需要补正的内容或填写说明。", field="items")
            for item in items:
                if item.item_id not in known:
                    raise FieldError("补正事项必须从本办件的填报项和材料中选择。", field="items")
                if not item.reason.strip():
                    raise FieldError(f"请填写“{item.label}”需要补正的原因。", field=item.item_id)
            updates["open_items"] = [i.item_id for i in items]
        if act in (Act.REJECT, Act.RETURN_TO_PREFECTURE, Act.REPORT) and not comment:
            raise FieldError(f"“{act_name(act, filing.kind)}”须写明理由。", field="comment")
        if act == Act.ACCEPT:
            updates["accepted_by"] = actor.user_id
        audit: dict[str, Any] = {}
        if act == Act.REPORT:
            if self.opinion not in OPINIONS:
                raise FieldError("请选择上报的意见：拟同意或拟不同意。", field="opinion")
            comment = f"【{OPINIONS[self.opinion]}】{comment}"
            audit["opinion"] = self.opinion
        favourable = act == Act.APPROVE or (act == Act.REPORT and self.opinion == "favourable")
        if favourable and filing.screening_field:
            runs = uow.screenings(self.case_id)
            latest = runs[0] if runs else None
            acting = "拟同意上报" if act == Act.REPORT else "通过"
            blocker = approval_blocker(latest, self.justification, acting=acting)
            if blocker:
                raise FieldError(blocker, field="justification")
            note = override_note(latest, self.justification, acting=acting)
            if note:
                internal_comment = f"{note}\n{internal_comment}"
                audit["screening_override"] = note
        issued: tuple[NewDocument, ...] = ()
        if documents:
            issued = issuing.documents_for(uow, act, case=case, filing=filing,
                                           actor=actor, items=items, comment=comment, today=today)
        cancel = case.ref_case_id if (act == Act.APPROVE and filing.certificate.cancels_referenced) else None
        if cancel is not None and uow.case(cancel).cancelled:
            raise ActRefused(f"该备案已由另一份撤销申请撤销，本申请无需再通过，请作“{filing.refusal_verb}”处理。")
        done = act_name(act, filing.kind, to_applicant=True)
        notify = f"您的办件{case.number}：{done}，当前状态：{stage_name(target, filing.kind)}。"
        if act == Act.APPROVE:  # what to do next rather than a state's name
            notify = f"您的办件{case.number}已办结，{filing.certificate.title}已出具，请在“我的办件”中下载。"
        return case, CaseChange(act=act, to_stage=target, actor=actor, at=self.now, comment=comment,
                                internal_comment=internal_comment.strip(), items=items, updates=updates,
                                notify=notify, documents=issued, cancel_case_id=cancel, audit=audit)


def withdraw(uow: UnitOfWork, actor: Actor, case_id: int, *, expected_version: int,
             now: datetime | None = None) -> CaseView:
    return act_on_case(uow, actor, case_id, Act.WITHDRAW, expected_version=expected_version, now=now,
                       comment="申请单位撤回")


__all__ = ["DomainError", "act_on_case", "submit", "start_draft", "save_answer", "upload_material"]
