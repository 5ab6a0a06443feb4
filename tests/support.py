"""Builders shared by the tests: a small world of accounts and filled cases, and readers of the documents' PDFs."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time

from PIL import Image
from pypdf import PdfReader
from sqlalchemy import Engine

from flows import cases
from flows.clock import CHINA
from flows.identity.accounts import Registration
from flows.kinds import get_filing
from flows.ports import CaseView
from flows.review.transitions import Role
from store.accounts import Account, create_user, demo_password_hash, get_account, register_applicant
from store.demo import DEMO_CODES, DEMO_PASSWORD, demo_answers, demo_pdf
from store.screening import configured_sources
from store.uow import SqlUnitOfWork


@dataclass
class World:
    engine: Engine
    applicant: Account
    other_applicant: Account
    county: Account  # 天山区 650102, in 乌鲁木齐市 650100
    sibling_county: Account  # 沙依巴克区 650103, same prefecture
    prefecture: Account  # 乌鲁木齐市 650100
    other_prefecture: Account  # 克拉玛依市 650200
    province: Account

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)


def _officer(engine: Engine, login: str, role: Role, region: str) -> Account:
    user_id = create_user(engine, login=login, password=DEMO_PASSWORD, password_hash=demo_password_hash(DEMO_PASSWORD), display_name=login, role=role,
                          region_code=region)
    account = get_account(engine, user_id)
    assert account is not None
    return account


def make_world(engine: Engine) -> World:
    applicant = register_applicant(engine, Registration(unit_name="乌鲁木齐幸福物业服务有限公司",
                                                        credit_code=DEMO_CODES[0], contact="马丽",
                                                        mobile="13899990001", password=DEMO_PASSWORD),
                                   password_hash=demo_password_hash(DEMO_PASSWORD), verified=True)
    other = register_applicant(engine, Registration(unit_name="克拉玛依安泰物业有限公司", credit_code=DEMO_CODES[1],
                                                    contact="孙洁", mobile="13899990002", password=DEMO_PASSWORD),
                               password_hash=demo_password_hash(DEMO_PASSWORD), verified=True)
    return World(
        engine=engine, applicant=applicant, other_applicant=other,
        county=_officer(engine, "county650102", Role.COUNTY, "650102"),
        sibling_county=_officer(engine, "county650103", Role.COUNTY, "650103"),
        prefecture=_officer(engine, "pref650100", Role.PREFECTURE, "650100"),
        other_prefecture=_officer(engine, "pref650200", Role.PREFECTURE, "650200"),
        province=_officer(engine, "province", Role.PROVINCE, "650000"),
    )


def filled_draft(world: World, kind: str, *, today: date, applicant: Account | None = None,
                 **answer_options: object) -> CaseView:
    """A draft with every question answered and every required material uploaded."""
    applicant = applicant or world.applicant
    assert applicant.unit_name and applicant.credit_code and applicant.mobile
    draft = cases.start_draft(world.uow(), applicant.actor, kind, unit_name=applicant.unit_name,
                              credit_code=applicant.credit_code, contact=applicant.display_name,
                              mobile=applicant.mobile)
    cases.confirm_instructions(world.uow(), applicant.actor, draft.id)
    for qid, value in demo_answers(kind, today=today, **answer_options).items():  # type: ignore[arg-type]
        cases.save_answer(world.uow(), applicant.actor, draft.id, qid, value, today=today)
    for material in get_filing(kind).materials:
        if material.required:
            cases.upload_material(world.uow(), applicant.actor, draft.id, material.id,
                                  filename=f"{material.id}.pdf", data=demo_pdf(material.id))
    with world.uow() as uow:
        return uow.case(draft.id)


def submitted(world: World, kind: str, *, today: date, applicant: Account | None = None,
              **options: object) -> CaseView:
    applicant = applicant or world.applicant
    draft = filled_draft(world, kind, today=today, applicant=applicant, **options)
    at = datetime.combine(today, time(10, 0), tzinfo=CHINA)
    return cases.submit(world.uow(), applicant.actor, draft.id, expected_version=draft.version, now=at,
                        sources=configured_sources(world.engine))


# ------------------------------------------------------------------ reading the documents' PDFs
def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def qr_images(pdf: bytes) -> list[Image.Image]:
    """The black-and-white images drawn on page one, as Pillow images: the QR code (the seal is red, with
    transparency)."""
    return [image.image for image in PdfReader(io.BytesIO(pdf)).pages[0].images
            if image.image is not None and image.image.mode != "RGBA"]


def decode_qr(image: Image.Image) -> list[str]:
    """QR codes read from an image with zxing-cpp (a real decoder); [] when it is not installed."""
    try:
        import zxingcpp
    except ImportError:  # pragma: no cover - zxing-cpp is a test requirement
        return []
    return [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.BarcodeFormat.QRCode]


def make_registration() -> Registration:
    """A unit of our own (its credit code differs from the test world's two units)."""
    return Registration(unit_name="乌鲁木齐明辉物业服务有限公司", credit_code="91650100MA77TEB291", contact="马丽",
                        mobile="13899991234", password=DEMO_PASSWORD)
