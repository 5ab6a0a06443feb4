"""Cases filed straight into the app server's database, for browser tests that start at the officer's side."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine
from stdnum.cn import uscc

from flows import cases, clock
from flows.filing.identifiers import organisation_check_char
from flows.identity.accounts import Registration
from flows.kinds import get_filing
from flows.ports import CaseView
from flows.review.transitions import Act
from store.accounts import Account, demo_password_hash, register_applicant
from store.db import make_engine
from store.demo import DEMO_PASSWORD, demo_answers, demo_pdf
from store.uow import SqlUnitOfWork


def credit_code(seed: int) -> str:
    """A valid unified social credit code of our own (both check characters hold)."""
    body = f"MB{seed:05d}Y"
    head = "91650100" + body + organisation_check_char(body)
    return head + str(uscc.calc_check_digit(head + "0"))


def photo() -> bytes:
    """A phone photo of a licence: a JPEG with a drawn frame (previewed as an image, merged as a page)."""
    image = Image.new("RGB", (1200, 800), (235, 238, 245))
    for x in range(100, 1100):
        for y in (100, 700):
            image.putpixel((x, y), (30, 60, 150))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def register_unit(engine: Engine, *, unit_name: str, seed: int, contact: str, mobile: str,
                  verified: bool = True) -> Account:
    """An applicant unit registered in the app's database (password DEMO_PASSWORD) as its administrator;
    `verified`: its licence already checked by an officer (else it is 待核验 until its first confirmation)."""
    return register_applicant(engine, Registration(unit_name=unit_name, credit_code=credit_code(seed),
                                                   contact=contact, mobile=mobile, password=DEMO_PASSWORD),
                              password_hash=demo_password_hash(DEMO_PASSWORD), verified=verified)


def submit_c_case(engine: Engine, applicant: Account, *, days_ago: int, **changed: object) -> CaseView:
    """A complete kind-C filing in 天山区 (the legal-person proof as a photo), submitted `days_ago` days ago;
    `changed` replaces demo answers."""
    uow = SqlUnitOfWork(engine)
    actor = applicant.actor
    assert applicant.unit_name and applicant.credit_code and applicant.mobile
    day = clock.today() - timedelta(days=days_ago)
    draft = cases.start_draft(uow, actor, "C", unit_name=applicant.unit_name, credit_code=applicant.credit_code,
                              contact=applicant.display_name, mobile=applicant.mobile)
    cases.confirm_instructions(uow, actor, draft.id)
    for qid, value in {**demo_answers("C", today=day), **changed}.items():
        cases.save_answer(uow, actor, draft.id, qid, value, today=day)
    for material in get_filing("C").materials:
        if material.id == "legal_person_proof":
            cases.upload_material(uow, actor, draft.id, material.id, filename="营业执照.jpg", data=photo())
        elif material.required:
            cases.upload_material(uow, actor, draft.id, material.id, filename=f"{material.label}.pdf",
                                  data=demo_pdf(material.id))
    with uow:
        version = uow.case(draft.id).version
    case = cases.submit(uow, actor, draft.id, expected_version=version,
                        now=datetime.combine(day, time(10), tzinfo=clock.CHINA))
    assert case.number is not None
    return case


def resident_id(seed: int) -> str:
    """A valid resident ID number of our own (born 1990-01-01 in 天山区, check digit computed)."""
    from stdnum.cn import ric

    body = f"65010219900101{seed % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum takes the number with a check digit in place


def guards(count: int, *, first: int = 1) -> list[dict[str, str]]:
    """A valid roster of `count` guards with distinct ID numbers."""
    return [{"name": f"保安员{n}", "id_number": resident_id(n), "certificate_no": f"新65010{n:02d}",
             "mobile": f"1389920{n:04d}"} for n in range(first, first + count)]


def draft_until(engine: Engine, applicant: Account, kind: str, stop_at: str | None,
                **changed: object) -> CaseView:
    """A draft of `kind` with the demo answers saved in the definition's order up to `stop_at` (not
    included): the assistant asks `stop_at` next; every answer when None. `changed` replaces demo answers."""
    uow = SqlUnitOfWork(engine)
    actor = applicant.actor
    assert applicant.unit_name and applicant.credit_code and applicant.mobile
    today = clock.today()
    draft = cases.start_draft(uow, actor, kind, unit_name=applicant.unit_name, credit_code=applicant.credit_code,
                              contact=applicant.display_name, mobile=applicant.mobile)
    cases.confirm_instructions(uow, actor, draft.id)
    answers = {**demo_answers(kind, today=today), **changed}
    for question in get_filing(kind).questions:
        if question.id == stop_at:
            break
        if question.id in answers and question.prefill is None:
            cases.save_answer(uow, actor, draft.id, question.id, answers[question.id], today=today)
    return draft


def act(engine: Engine, officer: Account, case_id: int, what: Act, **kwargs: object) -> CaseView:
    """An officer's act on a case, at the case's current version."""
    uow = SqlUnitOfWork(engine)
    with uow:
        version = uow.case(case_id).version
    return cases.act_on_case(SqlUnitOfWork(engine), officer.actor, case_id, what, expected_version=version,
                             **kwargs)  # type: ignore[arg-type]


def officer(engine: Engine, login: str) -> Account:
    """A demo officer's account (password DEMO_PASSWORD)."""
    from store.accounts import account_by_login

    account = account_by_login(engine, login)
    assert account is not None
    return account


def file_c_case(engine: Engine, applicant: Account, *, days_ago: int = 2) -> CaseView:
    """A kind-C case of the unit submitted, confirmed by 天山区, accepted and filed by 乌鲁木齐市."""
    case = submit_c_case(engine, applicant, days_ago=days_ago)
    for login, what in (("xian650102", Act.CONFIRM), ("zhou650100", Act.ACCEPT), ("zhou650100", Act.APPROVE)):
        case = act(engine, officer(engine, login), case.id, what)
    return case


@contextmanager
def app_database(data_dir: Path) -> Iterator[Engine]:
    """The app server's own database, with DATA_DIR set to its file store (uploads land where it reads)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATA_DIR", str(data_dir))
        engine = make_engine(f"sqlite:///{data_dir}/app.db")
        try:
            yield engine
        finally:
            engine.dispose()
