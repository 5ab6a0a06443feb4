"""Public certificate look-up (store/verification.py) and applicant messages (store/notifications.py),
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows import cases, clock
from flows.ports import CaseView
from flows.review.transitions import Act
from store.models import AuditEntry
from store.notifications import messages, unread_count
from store.verification import FREE_FAILURES, MAX_DELAY_S, code_fingerprint, delay_after, lookup, normalise
from tests.support import World, make_world, submitted


def _act(world: World, case: CaseView, *steps: tuple[str, Act]) -> CaseView:
    officers = {"county": world.county, "prefecture": world.prefecture}
    for who, act in steps:
        case = cases.act_on_case(world.uow(), officers[who].actor, case.id, act, expected_version=case.version)
    return case


def _filed(world: World) -> tuple[CaseView, str]:
    case = submitted(world, "C", today=clock.today())
    case = _act(world, case, ("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE))
    with world.uow() as uow:
        codes = [d.verification_code for d in uow.documents(case.id) if d.verification_code]
    assert len(codes) == 1
    return case, codes[0]


def _verify_entries(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == "verify_certificate")
                                 .order_by(col(AuditEntry.id))))


def test_a_genuine_code_gives_the_minimal_summary(engine: Engine) -> None:
    world = make_world(engine)
    case, code = _filed(world)
    result = lookup(engine, code)
    assert result is not None
    assert result.status == "valid" and result.status_label == "有效"
    assert result.title == "备案证明" and "治备字〔" in result.number
    assert result.unit_name == world.applicant.unit_name
    assert result.kind_title == "自行招用保安员单位备案"
    assert result.issued_on == clock.today()
    assert result.organ == "乌鲁木齐市公安局"  # before: "由公安机关出具", without saying which


def test_case_spaces_dashes_and_full_width_are_ignored(engine: Engine) -> None:
    world = make_world(engine)
    _, code = _filed(world)
    grouped = " " + "-".join(code[i:i + 4] for i in range(0, len(code), 4)).lower() + "\n"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)  # ＡＢＣ… as typed on a Chinese keyboard
    assert normalise(grouped) == code
    assert lookup(engine, grouped) is not None
    assert lookup(engine, full_width) is not None


@pytest.mark.parametrize("position", [0, 7, 13, 25])
def test_changing_any_one_character_is_not_found(engine: Engine, position: int) -> None:
    world = make_world(engine)
    _, code = _filed(world)
    position = min(position, len(code) - 1)
    changed = code[:position] + ("A" if code[position] != "A" else "B") + code[position + 1:]
    assert lookup(engine, changed) is None
    assert lookup(engine, code[:-1]) is None  # one character short
    assert lookup(engine, code + "A") is None  # one too many


@pytest.mark.parametrize("junk", ["", "   ", "%", "' OR 1=1 --", "A" * 500, "受理通知书"])
def test_junk_is_not_found_and_never_raises(engine: Engine, junk: str) -> None:
    make_world(engine)
    assert lookup(engine, junk) is None


def test_notices_without_a_code_are_never_matched(engine: Engine) -> None:
    world = make_world(engine)
    case = submitted(world, "C", today=clock.today())
    _act(world, case, ("county", Act.CONFIRM), ("prefecture", Act.ACCEPT))  # an acceptance notice, no code
    assert lookup(engine, "") is None
    assert lookup(engine, "None") is None


def test_a_cancelled_filing_verifies_as_cancelled(engine: Engine) -> None:
    world = make_world(engine)
    filed, code = _filed(world)
    cancel = submitted(world, "D", today=clock.today(), filing_ref={"case_id": filed.id})
    _act(world, cancel, ("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE))
    result = lookup(engine, code)
    assert result is not None and result.status == "cancelled" and result.status_label == "已撤销"
    with world.uow() as uow:
        cancellation_code = next(d.verification_code for d in uow.documents(cancel.id) if d.verification_code)
    assert cancellation_code is not None
    own = lookup(engine, cancellation_code)
    assert own is not None and own.title == "撤销备案证明" and own.status == "valid"


def test_every_look_up_is_audited_with_its_outcome_and_without_the_code(engine: Engine) -> None:
    world = make_world(engine)
    _, code = _filed(world)
    lookup(engine, "AAAAAAAAAAAAAAAAAAAAAAAAAA", actor_id=world.applicant.user_id)
    lookup(engine, code, actor_id=world.applicant.user_id)
    entries = _verify_entries(engine)
    assert [e.detail["outcome"] for e in entries] == ["not_found", "found_valid"]
    assert entries[1].detail["code_hash"] == code_fingerprint(code)
    assert entries[0].actor_id == world.applicant.user_id
    for entry in entries:
        dumped = str(entry.detail) + entry.subject
        assert code not in dumped and code[:8] not in dumped
        assert world.applicant.unit_name not in dumped
    from store.audit import verify_chain

    with Session(engine) as session:
        assert verify_chain(session) is None


def test_anonymous_look_ups_are_counted_and_written_in_aggregate_not_one_entry_each(engine: Engine) -> None:
    from store.models import AuditEntry as Entry
    from store.verification import flush_anonymous_counts

    world = make_world(engine)
    _, code = _filed(world)
    with Session(engine) as session:
        before = len(session.exec(select(Entry)).all())
    for _ in range(3):
        lookup(engine, code)
    lookup(engine, "AAAAAAAAAAAAAAAAAAAAAAAAAA")
    lookup(engine, "")
    with Session(engine) as session:
        assert len(session.exec(select(Entry)).all()) == before  # five anonymous look-ups: no write at all
    flush_anonymous_counts(engine)
    with Session(engine) as session:
        written = session.exec(select(Entry).where(Entry.action == "verify_certificate_counts")).all()
    assert len(written) == 1
    assert written[0].detail["counts"] == {"empty": 1, "found_valid": 3, "not_found": 1}
    assert code not in str(written[0].detail)


def test_failures_are_free_at_first_then_delayed_more_and_more_up_to_a_cap() -> None:
    assert [delay_after(n) for n in range(FREE_FAILURES)] == [0] * FREE_FAILURES
    delays = [delay_after(n) for n in range(FREE_FAILURES, FREE_FAILURES + 10)]
    assert delays[0] > 0 and delays == sorted(delays) and delays[1] > delays[0]
    assert delay_after(1000) == MAX_DELAY_S


def test_the_applicants_messages_are_counted_listed_and_marked_read(engine: Engine) -> None:
    world = make_world(engine)
    case = submitted(world, "C", today=clock.today())
    _act(world, case, ("county", Act.CONFIRM))
    user = world.applicant.user_id
    assert unread_count(engine, user_id=user) == 2
    listed = messages(engine, user_id=user)
    assert len(listed) == 2 and "确认" in listed[0].text  # newest first
    assert unread_count(engine, user_id=world.other_applicant.user_id) == 0
    other_unread = unread_count(engine, user_id=world.county.user_id)
    assert cases.mark_messages_read(world.uow(), world.applicant.actor) == 2
    assert unread_count(engine, user_id=user) == 0
    assert unread_count(engine, user_id=world.county.user_id) == other_unread  # only the person's own
    assert all(m.read for m in messages(engine, user_id=user))
    assert messages(engine, user_id=user, unread_only=True) == []


# ------------------------------------------------------------------ the QR code's signature, the PDF file
def _certificate_pdf(world: World, case: CaseView) -> bytes:
    from store import blobs

    with world.uow() as uow:
        doc = next(d for d in uow.documents(case.id) if d.verification_code)
    return blobs.get(doc.sha256)


def _qr_link(pdf: bytes) -> tuple[str, str, str]:
    """(url, code, sig) read from the certificate's QR code with a real decoder (zxing-cpp)."""
    from urllib.parse import parse_qs, urlsplit

    from tests.support import decode_qr, qr_images

    (image,) = qr_images(pdf)
    decoded = decode_qr(image)
    if not decoded:
        pytest.fail("no QR decoded: zxing-cpp (requirements-dev.txt) is missing or the QR is unreadable")
    query = parse_qs(urlsplit(decoded[0]).query)
    return decoded[0], query["code"][0], query["sig"][0]


def test_the_qr_code_leads_to_the_page_with_the_code_and_a_valid_signature(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_BASE_URL", "https://baoan.example.gov.cn/")
    world = make_world(engine)
    case, code = _filed(world)
    url, qr_code, sig = _qr_link(_certificate_pdf(world, case))
    assert url.startswith("https://baoan.example.gov.cn/verify?code=") and qr_code == code
    result = lookup(engine, qr_code, signature=sig)
    assert result is not None and result.signature == "valid" and result.status == "valid"
    plain = lookup(engine, qr_code)
    assert plain is not None and plain.signature == "absent"


def test_a_forged_or_changed_signature_does_not_verify(engine: Engine) -> None:
    world = make_world(engine)
    case, code = _filed(world)
    _, _, sig = _qr_link(_certificate_pdf(world, case))
    flipped = sig[:20] + ("A" if sig[20] != "A" else "B") + sig[21:]
    for bad in (flipped, "A" * 86, "", "not-a-signature"):
        result = lookup(engine, code, signature=bad)
        assert result is not None and result.signature == "invalid", bad
    # A made-up code with a copied signature is simply not found.
    changed = code[:5] + ("A" if code[5] != "A" else "B") + code[6:]
    assert lookup(engine, changed, signature=sig) is None
    from store.verification import flush_anonymous_counts

    flush_anonymous_counts(engine)  # anonymous look-ups reach the audit log counted, in one entry
    with Session(engine) as session:
        counted = session.exec(select(AuditEntry).where(AuditEntry.action == "verify_certificate_counts")).all()
    assert [e.detail["counts"] for e in counted] == [{"bad_signature_signed": 4, "not_found_signed": 1}]


def test_an_archive_row_changed_behind_the_products_back_fails_its_signature(engine: Engine) -> None:
    from store.models import Case

    world = make_world(engine)
    case, code = _filed(world)
    _, _, sig = _qr_link(_certificate_pdf(world, case))
    with Session(engine) as session:
        row = session.get(Case, case.id)
        assert row is not None
        row.unit_name = "乌鲁木齐冒名物业服务有限公司"
        session.add(row)
        session.commit()
    result = lookup(engine, code, signature=sig)
    assert result is not None and result.signature == "invalid"


def _edited(pdf: bytes) -> bytes:
    """The classic forgery: a white box drawn over part of the page (where the unit name is), saved by pypdf."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    page = writer.pages[0]
    content = ContentStream(page.get_contents(), writer)
    content.set_data(content.get_data() + b"\nq 1 1 1 rg 150 560 300 24 re f Q\n")
    page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_pdf_as_issued_matches_the_archive_and_an_edited_one_does_not(engine: Engine) -> None:
    from store.verification import check_file, printed_codes

    world = make_world(engine)
    case, code = _filed(world)
    pdf = _certificate_pdf(world, case)
    assert printed_codes(pdf) == [code]

    same = check_file(engine, pdf)
    assert same.outcome == "match" and same.result is not None and same.result.unit_name == world.applicant.unit_name

    one_byte = bytearray(pdf)
    index = pdf.index(b"/CreationDate")
    one_byte[index + 18] ^= 0x01  # one digit of the creation date
    for edited in (bytes(one_byte), _edited(pdf), pdf + b"\n% appended\n"):
        assert edited != pdf
        checked = check_file(engine, edited)
        assert checked.outcome == "mismatch", checked
        assert checked.result is not None and checked.result.status == "valid"

    from flows.documents.render import Issuer, certificate, render

    unknown = certificate(title="备案证明", number="乌公治备字〔2026〕88号",
                          issuer=Issuer(organ="乌鲁木齐市公安局", undertaker=None, province="新疆维吾尔自治区"),
                          issued_on=date(2026, 11, 27), addressee=None, paragraphs=["予以备案。特此证明。"],
                          table=[("备案编号", "乌公治备字〔2026〕88号")], verification_code="7KQ4-M9XA-2HTR",
                          verify_url="https://verify.example.gov.cn/v?c=7KQ4M9XA2HTR")
    assert check_file(engine, render(unknown)).outcome == "not_found"  # codes that do not exist
    assert check_file(engine, b"%PDF-1.7 garbage").outcome == "not_found"
    assert check_file(engine, b"GIF89a").outcome == "unreadable"
    assert check_file(engine, b"").outcome == "unreadable"
    outcomes = [e.detail["outcome"] for e in _verify_entries(engine)]
    assert outcomes == ["file_match"] + ["file_mismatch"] * 3 + ["file_not_found"] * 2 + ["file_unreadable"] * 2


def test_a_file_the_server_is_too_busy_to_read_gets_no_verdict(engine: Engine, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    """No worker to be had: the visitor is asked to retry, never told the certificate is not genuine."""
    from flows.uploads import contained
    from store.verification import check_file

    world = make_world(engine)
    case, _code = _filed(world)
    edited = _edited(_certificate_pdf(world, case))

    def busy(*_args: object, **_kwargs: object) -> None:
        raise contained.Unavailable()

    monkeypatch.setattr(contained, "run", busy)
    assert check_file(engine, edited).outcome == "busy"
    assert [e.detail["outcome"] for e in _verify_entries(engine)] == ["file_busy"]


# ------------------------------------------------------------------ the page, opened from the QR code
def _page_from_link(url: str) -> str:
    """Open pages/verify.py the way the QR link does (its query parameters) and return what it shows."""
    from urllib.parse import parse_qs, urlsplit

    from tests.app.conftest import open_page, texts

    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    at = open_page("pages/verify.py", None, **query)
    assert not at.exception
    return texts(at)


def test_following_the_qr_link_shows_genuine_valid_and_a_tampered_link_does_not(data_dir: Path) -> None:
    from store.db import default_engine

    default_engine.cache_clear()
    try:
        world = make_world(default_engine())
        case, code = _filed(world)
        url, _, sig = _qr_link(_certificate_pdf(world, case))
        shown = _page_from_link(url)
        assert "真实有效" in shown and "二维码签名有效" in shown
        assert world.applicant.unit_name in shown and "备字〔" in shown

        forged_sig = url.replace(sig, sig[:-2] + ("AA" if not sig.endswith("AA") else "BB"))
        shown = _page_from_link(forged_sig)
        assert "二维码签名核验未通过" in shown and "真实有效" not in shown

        changed = code[:9] + ("A" if code[9] != "A" else "B") + code[10:]
        shown = _page_from_link(url.replace(code, changed))
        assert "未找到该证明" in shown and "真实有效" not in shown
    finally:
        default_engine().dispose()
        default_engine.cache_clear()


def test_the_page_compares_an_uploaded_pdf_with_the_archive(data_dir: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from store.db import default_engine
    from tests.app.conftest import open_page, texts

    default_engine.cache_clear()
    try:
        world = make_world(default_engine())
        case, _ = _filed(world)
        pdf = _certificate_pdf(world, case)

        def compare(data: bytes) -> str:
            at: AppTest = open_page("pages/verify.py", None)
            at.get("file_uploader")[0].set_value(("证明.pdf", data, "application/pdf"))  # type: ignore[attr-defined]
            at.run()
            next(b for b in at.button if b.label == "比对文件").click().run()
            assert not at.exception
            return texts(at)

        shown = compare(pdf)
        assert "文件与存档一致" in shown and "真实有效" in shown
        shown = compare(_edited(pdf))
        assert "与存档不一致" in shown and world.applicant.unit_name in shown and "文件与存档一致" not in shown
    finally:
        default_engine().dispose()
        default_engine.cache_clear()


def test_the_issued_pdf_is_matched_by_its_hash_without_being_read_and_a_crafted_one_is_contained(
    engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench.hostile_files import text_bomb
    from flows.uploads import contained
    from store.verification import check_file

    world = make_world(engine)
    case, _code = _filed(world)
    pdf = _certificate_pdf(world, case)
    real_run = contained.run
    reads: list[str] = []

    def counting_run(task: str, *args: object, **kwargs: object) -> object:
        reads.append(task)
        return real_run(task, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(contained, "run", counting_run)
    assert check_file(engine, pdf).outcome == "match"
    assert reads == []  # the archive's SHA-256 matched: the visitor's file was never parsed

    # A few KB that cost pypdf's text extraction many seconds of CPU: the worker's limit ends it; the
    # visitor is told nothing was found, the page goes on.
    assert check_file(engine, text_bomb(400_000)).outcome == "not_found"
    assert reads == ["printed_text"]
