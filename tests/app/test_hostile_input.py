"""Hostile input through every text question and every upload of the assistant.

Every input of the corpus (tests/data/hostile/strings.json, plus the files and file names built
below) is either refused with a clear Chinese message (a DomainError) or stored exactly as checked
and shown as plain text: never rendered as HTML or Markdown, never a crash. The bulk goes through
the use cases (`flows.cases.save_answer`, `upload_material`); a sample goes through the assistant
and the officer's case page in AppTest.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject
from streamlit.testing.v1 import AppTest

from flows import cases, clock
from flows.errors import DomainError
from flows.filing.answers import check_answer
from flows.filing.schema import QType, Question
from flows.identity.accounts import REGISTRATION_FIELDS, check_registration_field
from flows.kinds import all_filings, get_filing
from flows.uploads.checks import safe_filename
from store.accounts import Account
from store.demo import demo_answers, demo_pdf
from tests.app.conftest import open_page
from tests.support import World
from ui.text import md_escape

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile"
CJK = re.compile(r"[\u4e00-\u9fff]")
MAX_MESSAGE = 400  # a refusal names the problem; it never echoes a megabyte back


def _strings() -> list[tuple[str, str]]:
    entries = json.loads((CORPUS / "strings.json").read_text(encoding="utf-8"))["strings"]
    return [(e["category"], e["text"] if "text" in e else e["repeat"] * e["times"]) for e in entries]


STRINGS = _strings()


def _short(text: str) -> str:
    return repr(text[:40]) + (f"...({len(text)} chars)" if len(text) > 40 else "")


def assert_clear_refusal(error: DomainError, what: str) -> None:
    message = error.message
    assert CJK.search(message), f"{what}: refusal without a Chinese message: {message[:100]!r}"
    assert "Traceback" not in message and "Error(" not in message, f"{what}: {message[:200]!r}"
    assert len(message) <= MAX_MESSAGE, f"{what}: the message is {len(message)} characters long"


def test_the_corpus_holds_at_least_200_inputs() -> None:
    assert len(STRINGS) + len(FILES) + len(FILE_NAMES) >= 200
    assert {c for c, _ in STRINGS} >= {"html", "markdown", "control", "long", "ids", "unicode"}


# ------------------------------------------------------------------ answers through the use case
def _raw_for(question: Question, text: str) -> object:
    """The hostile text in the shape this question's answer takes."""
    if question.type == QType.MULTI_CHOICE:
        return [text]
    if question.type == QType.REGION:
        return {"prefecture": text, "county": text}
    if question.type == QType.ROSTER:
        return [{c.id: text for c in question.columns}]
    if question.type == QType.FILING_REF:
        return {"case_id": text}
    return text


def _expected_text(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _lone_surrogate(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cs" for ch in text)


KINDS = "".join(sorted(all_filings()))  # every business, the fifth and any later one included


def _through_use_case(kind: str, q_index: int, s_index: int, questions: list[Question]) -> bool:
    """Each string goes through `save_answer` at one question of one kind (every question gets its share,
    filing references all); the rest of the cross product through the same pure check `save_answer` calls."""
    if questions[q_index].type == QType.FILING_REF:
        return True
    turn = s_index // len(KINDS)
    return s_index % len(KINDS) == KINDS.index(kind) and (q_index + turn) % len(questions) == 0


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_hostile_string_in_every_question_is_refused_in_chinese_or_kept_exactly(app_world: World,
                                                                                      kind: str) -> None:
    applicant = app_world.applicant
    case_id = _draft(app_world, kind)
    today = clock.today()
    questions = [q for q in get_filing(kind).questions if q.prefill is None]
    accepted = 0
    for q_index, question in enumerate(questions):
        for s_index, (category, text) in enumerate(STRINGS):
            what = f"{kind}.{question.id} <- {category} {_short(text)}"
            raw = _raw_for(question, text)
            via_use_case = _through_use_case(kind, q_index, s_index, questions)
            if not via_use_case and len(text) > 10_000:
                continue  # megabyte strings: their turn through the use case is enough (each check scans it)
            try:
                if via_use_case:
                    checked = cases.save_answer(app_world.uow(), applicant.actor, case_id, question.id, raw,
                                                today=today)
                else:
                    checked = check_answer(question, raw, today=today)
            except DomainError as error:
                assert_clear_refusal(error, what)
                continue
            accepted += 1
            if question.type in (QType.TEXT, QType.LONG_TEXT):
                assert checked.value == _expected_text(text), what
            if via_use_case:
                with app_world.uow() as uow:
                    assert uow.answers(case_id)[question.id] == checked.value, what
    # The draft stays usable afterwards: the good answers go in over whatever was kept.
    for qid, value in demo_answers(kind, today=today).items():
        if qid != "filing_ref":
            cases.save_answer(app_world.uow(), applicant.actor, case_id, qid, value, today=today)
    assert accepted  # some hostile text is legitimate text (names in Uyghur, quotes, symbols)


def test_a_lone_surrogate_in_a_text_answer_is_refused_in_chinese(app_world: World) -> None:
    case_id = _draft(app_world, "C")
    with pytest.raises(DomainError):
        cases.save_answer(app_world.uow(), app_world.applicant.actor, case_id, "unit_address", "地址\ud800",
                          today=clock.today())


@pytest.mark.parametrize("qid", ["unit_region", "service_kinds"])
def test_a_refusal_never_repeats_a_very_long_input(qid: str) -> None:
    kind = "C" if qid == "unit_region" else "B"
    question = get_filing(kind).question(qid)
    with pytest.raises(DomainError) as refused:
        check_answer(question, _raw_for(question, "长" * 10_000), today=clock.today())
    assert len(refused.value.message) <= MAX_MESSAGE


@pytest.mark.parametrize("field", [f.id for f in REGISTRATION_FIELDS])
def test_every_hostile_string_in_registration_is_refused_in_chinese_or_kept(field: str) -> None:
    for category, text in STRINGS:
        try:
            value = check_registration_field(field, text)
        except DomainError as error:
            assert_clear_refusal(error, f"registration.{field} <- {category} {_short(text)}")
        else:
            assert isinstance(value, str) and len(value) <= 128


# ------------------------------------------------------------------ files
def _pdf(text: str = "hostile") -> bytes:
    return demo_pdf(text)


def _jpeg(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "white").save(out, "JPEG")
    return out.getvalue()


def _png(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF")
    return out.getvalue()


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    return writer


def _encrypted(user: str, algorithm: str) -> bytes:
    writer = _writer()
    writer.encrypt(user_password=user, owner_password="owner", algorithm=algorithm)
    return _written(writer)


def _javascript_open_action() -> bytes:
    writer = _writer()
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert(1)")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return _written(writer)


def _javascript_names() -> bytes:
    writer = _writer()
    action = writer._add_object(DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                                  NameObject("/JS"): TextStringObject("app.alert('x');")}))
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("start"), action])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): writer._add_object(tree)})
    return _written(writer)


def _launch_action() -> bytes:
    writer = _writer()
    action = DictionaryObject({NameObject("/S"): NameObject("/Launch"),
                               NameObject("/F"): TextStringObject("cmd.exe")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return _written(writer)


def _page_additional_action() -> bytes:
    writer = _writer()
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert(2)")})
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(action)})
    return _written(writer)


def _raw_pdf(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _flate_bomb() -> bytes:
    """A page whose content stream inflates to 100 MB of zeros (from about 100 KB)."""
    compressor = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    body = b"".join(compressor.compress(chunk) for _ in range(100)) + compressor.flush()
    return _raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
                     b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"])


def _png_header(width: int, height: int) -> bytes:
    """A PNG declaring a huge picture, with almost no data behind it (a pixel bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
            + chunk(b"IEND", b""))


def _jpeg_header(width: int, height: int) -> bytes:
    real = _jpeg((16, 16))
    marker = real.index(b"\xff\xc0")
    return real[:marker + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + real[marker + 9:]


def _png_with_script() -> bytes:
    return _png() + b"<script>alert(1)</script>"


def _svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


def _html_as_pdf() -> bytes:
    return b"<html><body><script>alert(1)</script>%PDF-1.4 not really</body></html>"


def _polyglot_jpeg_pdf() -> bytes:
    return _jpeg() + b"\n%PDF-1.4\n1 0 obj << >> endobj\n"


def _embedded_file_pdf() -> bytes:
    writer = _writer()
    writer.add_attachment("payload.exe", b"MZ\x90\x00" + b"\0" * 100)
    return _written(writer)


def _fpdf_with_link() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "click", link="javascript:alert(1)")
    return bytes(pdf.output())


# (label, file name, bytes maker, accepted?) — None: either outcome is acceptable, as long as it is clean.
FileCase = tuple[str, str, Callable[[], bytes], bool | None]
FILES: list[FileCase] = [
    ("real pdf", "scan.pdf", _pdf, True),
    ("real jpeg", "photo.jpg", _jpeg, True),
    ("real png", "shot.png", _png, True),
    ("cmyk jpeg", "cmyk.jpg", lambda: _jpeg(mode="CMYK"), True),
    ("grey png with alpha", "alpha.png", lambda: _png(mode="LA"), True),
    ("jpeg renamed pdf", "licence.pdf", _jpeg, False),
    ("png renamed jpg", "photo.jpg", _png, False),
    ("pdf renamed jpg", "scan.jpg", _pdf, False),
    ("pdf renamed png", "scan.png", _pdf, False),
    ("pdf without extension", "scan", _pdf, False),
    ("pdf as exe", "scan.exe", _pdf, False),
    ("word document renamed pdf", "letter.pdf", lambda: b"PK\x03\x04" + b"\0" * 200 + b"word/document.xml", False),
    ("windows program renamed pdf", "letter.pdf", lambda: b"MZ\x90\x00\x03" + b"\0" * 500, False),
    ("elf program renamed png", "x.png", lambda: b"\x7fELF\x02\x01\x01" + b"\0" * 500, False),
    ("html renamed pdf", "page.pdf", _html_as_pdf, None),
    ("svg with script renamed png", "icon.png", _svg, False),
    ("gif renamed png", "anim.png", _gif, False),
    ("text file", "notes.txt", lambda: "说明文字".encode(), False),
    ("heic name, unknown bytes", "IMG_0001.HEIC", lambda: b"\0\0\0\x18ftypheic" + b"\0" * 100, False),
    ("empty file", "empty.pdf", lambda: b"", False),
    ("pdf header then garbage", "broken.pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40, False),
    ("pdf truncated in half", "half.pdf", lambda: _pdf()[: len(_pdf()) // 2], False),
    ("pdf without end", "noeof.pdf", lambda: _pdf().rsplit(b"startxref", 1)[0], None),
    ("jpeg truncated", "half.jpg", lambda: _jpeg((400, 300))[:300], False),
    ("png truncated", "half.png", lambda: _png((400, 300))[:80], False),
    ("pdf encrypted RC4, empty user password", "rc4.pdf", lambda: _encrypted("", "RC4-128"), False),
    ("pdf encrypted AES-128 with password", "aes128.pdf", lambda: _encrypted("secret", "AES-128"), False),
    ("pdf encrypted AES-256, empty user password", "aes256.pdf", lambda: _encrypted("", "AES-256"), False),
    ("pdf encrypted AES-256 with password", "aes256pw.pdf", lambda: _encrypted("secret", "AES-256"), False),
    ("pdf javascript open action", "js.pdf", _javascript_open_action, False),
    ("pdf javascript name tree", "jsnames.pdf", _javascript_names, False),
    ("pdf launch action", "launch.pdf", _launch_action, False),
    ("pdf page additional action", "aa.pdf", _page_additional_action, False),
    ("pdf flate bomb", "bomb.pdf", _flate_bomb, False),
    ("png pixel bomb 100000x100000", "bomb.png", lambda: _png_header(100_000, 100_000), False),
    ("png 8000x8000 header", "big.png", lambda: _png_header(8_000, 8_000), False),
    ("jpeg 65000x65000 header", "bomb.jpg", lambda: _jpeg_header(65_000, 65_000), False),
    ("png with trailing script", "tail.png", _png_with_script, None),
    ("jpeg that is also a pdf", "poly.jpg", _polyglot_jpeg_pdf, None),
    ("pdf with an embedded program", "attach.pdf", _embedded_file_pdf, False),
    ("pdf with a javascript: link", "link.pdf", _fpdf_with_link, False),
    ("pdf over 10 MB", "huge.pdf", lambda: _pdf() + b"%" + b"0" * (10 * 1024 * 1024), False),
]

# Hostile names on a real PDF: kept only as a safe name (no folders, no control or bidi characters).
FILE_NAMES = [
    "../../../../etc/passwd.pdf", "..\\..\\windows\\system32\\drivers.pdf", "/var/lib/app.db.pdf",
    "C:\\Users\\Public\\scan.pdf", "\u202efdp.exe", "invoice\u202etxt.pdf", "report\u202e\u2066fdp.pdf",
    "a\x00b.pdf", "line\nbreak.pdf", "tab\tname.pdf", "<script>alert(1)</script>.pdf",
    "[点我](javascript:alert(1)).pdf", "![x](https://evil.example/a.png).pdf", "**加粗**.pdf", "x" * 300 + ".pdf",
    "CON.pdf", "NUL.pdf", ".pdf", "....pdf", ".hidden.pdf", "scan.PDF", "scan.pdf.exe", "scan.exe.pdf",
    "%2e%2e%2fpasswd.pdf", "scan.pdf\x00.jpg", "😀扫描件.pdf", "ئابدۇرېھىم.pdf", "   spaced   .pdf",
    "$(reboot).pdf", "'; DROP TABLE casematerial; --.pdf", "名" * 120 + ".pdf", "\u200b.pdf",
]

# Every material of every kind takes the same check (types and size limit from its definition): every
# hostile file goes to the first material of each kind, and a real file to every material.
FIRST_MATERIALS = [(k, get_filing(k).materials[0].id) for k in KINDS]
ALL_MATERIALS = [(k, m.id) for k in KINDS for m in get_filing(k).materials]


def _draft(world: World, kind: str, account: Account | None = None) -> int:
    account = account or world.applicant
    assert account.unit_name and account.credit_code and account.mobile
    return cases.start_draft(world.uow(), account.actor, kind, unit_name=account.unit_name,
                             credit_code=account.credit_code, contact=account.display_name,
                             mobile=account.mobile).id


def _assert_safe_name(stored: str, given: str) -> None:
    assert stored == safe_filename(given)
    assert "/" not in stored and "\\" not in stored and len(stored) <= 100
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in stored), repr(stored)


def test_every_hostile_file_on_every_upload_is_refused_in_chinese_or_stored_safely(app_world: World) -> None:
    drafts = {kind: _draft(app_world, kind) for kind in KINDS}
    actor = app_world.applicant.actor
    made = {label: make() for label, _, make, _ in FILES}
    pairs = [(kind, material_id, case) for kind, material_id in FIRST_MATERIALS for case in FILES]
    pairs += [(kind, material_id, FILES[0]) for kind, material_id in ALL_MATERIALS]
    for kind, material_id, (label, name, _, expected) in pairs:
        what = f"{kind}.{material_id} <- {label}"
        try:
            checked, view = cases.upload_material(app_world.uow(), actor, drafts[kind], material_id,
                                                  filename=name, data=made[label])
        except DomainError as error:
            assert expected is not True, f"{what}: refused: {error.message}"
            assert_clear_refusal(error, what)
            continue
        assert expected is not False, f"{what}: accepted as {checked.file_type}"
        assert view.size == len(made[label])
        _assert_safe_name(view.filename, name)
        with app_world.uow() as uow:
            assert uow.materials(drafts[kind])[-1].sha256 == checked.sha256


def test_hostile_file_names_on_a_real_pdf_are_refused_or_kept_as_a_safe_name(app_world: World) -> None:
    case_id = _draft(app_world, "C")
    data = demo_pdf("named")
    for name in FILE_NAMES:
        try:
            _, view = cases.upload_material(app_world.uow(), app_world.applicant.actor, case_id, "other",
                                            filename=name, data=data)
        except DomainError as error:
            assert_clear_refusal(error, f"file name {name!r}")
            continue
        _assert_safe_name(view.filename, name)
        assert view.filename.lower().endswith(".pdf")


# ------------------------------------------------------------------ Markdown escaping of what pages show
MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:&")


def test_md_escape_escapes_every_markdown_and_html_character_of_the_corpus() -> None:
    for _, text in STRINGS:
        escaped = md_escape(text)
        for index, ch in enumerate(escaped):
            if ch in MARKDOWN_SPECIAL and ch != "\\":
                assert index > 0 and escaped[index - 1] == "\\", f"{ch!r} left bare in {_short(text)}"


# ------------------------------------------------------------------ a sample through the pages
MARKDOWN_ELEMENTS = ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader")


def _shown_as_text(at: AppTest, value: str) -> bool:
    """True when `value` is on the page as plain text; fails when it is anywhere as live Markdown or HTML."""
    escaped = md_escape(value)
    found = any(value in str(e.value) for e in at.text)
    for kind in MARKDOWN_ELEMENTS:
        for element in getattr(at, kind):
            source = str(element.value)
            if escaped in source:
                found = True
                assert not getattr(element.proto, "allow_html", False), f"{_short(value)} in an HTML element"
            if value != escaped:
                assert value not in source.replace(escaped, ""), f"{_short(value)} left live in {kind}: {source[:200]!r}"
    return found


# Hostile text that is legitimate as an answer (it passes the checks) and fits a 30-character name.
# Names and addresses refuse "<", "*", "[" and the like: a link reaches a case only through a long text.
SAMPLE = ["[点我](javascript:alert(1))", "<script>alert(1)</script>", "![](//evil.example/t.png)",
          ":red[审核通过]", "$$E=mc^2$$", "_斜体_ 与 ~删除线~", "# 大标题", "<img src=x onerror=alert(1)>",
          "{{7*7}}", "' OR 1=1 --", "~~删除线~~ <u>下划线</u>", "`行内代码`", "> 引用", ":material/home:"]
TEXT_QUESTIONS = ("unit_address", "principal_name", "deputy_name", "property_project", "area_description",
                  "area_address", "area_size")


def _placed(strings: list[str]) -> tuple[dict[str, str], list[str]]:
    """Each string as the answer of the first free text question that accepts it; the strings none accepts
    (markup such as “<” or “*”, which a name or an address refuses since the review printed it on a
    certificate) are returned apart."""
    filing, today = get_filing("C"), clock.today()
    placed: dict[str, str] = {}
    refused: list[str] = []
    for value in strings:
        for qid in TEXT_QUESTIONS:
            if qid in placed:
                continue
            try:
                check_answer(filing.question(qid), value, today=today)
            except DomainError:
                continue
            placed[qid] = value
            break
        else:
            refused.append(value)
    return placed, refused


def _hostile_c_case(world: World, account: Account, placed: dict[str, str], names: list[str]) -> int:
    today = clock.today()
    case_id = _draft(world, "C", account)
    cases.confirm_instructions(world.uow(), account.actor, case_id)
    answers: dict[str, Any] = demo_answers("C", today=today)
    answers.update(placed)
    guard_names = [v for q, v in placed.items() if q != "area_description" and len(v) <= 30][-3:]  # one line
    answers["guards"] = [dict(row, name=name) for row, name in zip(answers["guards"], guard_names, strict=False)]
    for qid, value in answers.items():
        cases.save_answer(world.uow(), account.actor, case_id, qid, value, today=today)
    required = [m for m in get_filing("C").materials if m.required]
    for material, name in zip(required, names, strict=False):
        cases.upload_material(world.uow(), account.actor, case_id, material.id, filename=name,
                              data=demo_pdf(material.id))
    cases.skip_material(world.uow(), account.actor, case_id, "other")
    return case_id


@pytest.mark.parametrize("half", [0, 1])
def test_hostile_answers_and_file_names_show_as_plain_text_to_applicant_and_officer(app_world: World,
                                                                                    half: int) -> None:
    account = app_world.applicant
    placed, refused = _placed(SAMPLE[half * 7:(half + 1) * 7])
    for value in refused:  # refused at input, in Chinese, naming the character
        with pytest.raises(DomainError) as caught:
            check_answer(get_filing("C").question("unit_address"), value, today=clock.today())
        assert_clear_refusal(caught.value, value)
    assert len(placed) >= 3  # what is left is still shown as typed, never as markup
    strings = list(placed.values())
    names = ["<b>粗体</b>.pdf", "[链接](javascript:alert(1)).pdf", "invoice\u202etxt.pdf", "**x**.pdf",
             ":red[通过].pdf"]
    case_id = _hostile_c_case(app_world, account, placed, names)

    at = open_page("pages/assistant.py", account)
    assert not at.exception
    assert "请核对" in "".join(str(m.value) for m in at.markdown)
    for value in strings:
        assert _shown_as_text(at, value), f"{_short(value)} not shown on the summary"
    for name in names:
        assert _shown_as_text(at, safe_filename(name)) or safe_filename(name) in "".join(str(t.value) for t in at.text)
    for question in ("<script>alert(1)</script>需要盖章吗", "[链接](javascript:alert(1))", "\u202e反向文字"):
        at.chat_input[0].set_value(question).run()
        assert not at.exception
        assert _shown_as_text(at, question[:500])

    with app_world.uow() as uow:
        version = uow.case(case_id).version
    cases.submit(app_world.uow(), account.actor, case_id, expected_version=version, now=clock.now())
    officer = open_page("pages/case.py", app_world.county, id=str(case_id))
    assert not officer.exception
    for value in strings:
        assert _shown_as_text(officer, value), f"{_short(value)} not shown to the officer"
    for name in names:
        assert _shown_as_text(officer, safe_filename(name))


def test_the_assistant_page_refuses_hostile_text_at_a_typed_question_without_a_traceback(app_world: World) -> None:
    case_id = _draft(app_world, "C")
    cases.confirm_instructions(app_world.uow(), app_world.applicant.actor, case_id)
    today = clock.today()
    for qid, value in demo_answers("C", today=today).items():
        if qid == "principal_id":
            break
        cases.save_answer(app_world.uow(), app_world.applicant.actor, case_id, qid, value, today=today)
    at = open_page("pages/assistant.py", app_world.applicant)
    question = get_filing("C").question("principal_id")

    def refused(text: str) -> bool:
        try:
            check_answer(question, text, today=today)
        except DomainError:
            return True
        return False

    # Inputs the check refuses, so the same question stays on screen for the next one.
    picks = [text[:60] for category, text in STRINGS if category in ("ids", "control", "html", "long")
             and not _lone_surrogate(text) and refused(text[:60])][::5]
    for text in picks:
        at.text_input[0].input(text)
        next(b for b in at.button if b.label == "确定").click().run()
        assert not at.exception, _short(text)
        shown = "\n".join(str(e.value) for e in (*at.error, *at.markdown, *at.text))
        assert "Traceback" not in shown
    with app_world.uow() as uow:
        assert "principal_id" not in uow.answers(case_id)


def test_a_hostile_unit_and_display_name_show_as_text_in_the_sidebar_greeting_and_my_cases(app_world: World) -> None:
    from sqlmodel import Session

    from store.models import Unit, User

    name = "**加粗**[点我](https://evil.example)"
    with Session(app_world.engine) as session:
        user = session.get(User, app_world.applicant.user_id)
        assert user is not None and user.unit_id is not None
        unit = session.get(Unit, user.unit_id)
        assert unit is not None
        user.display_name, unit.name = name, name
        session.add(user)
        session.add(unit)
        session.commit()
    account = replace(app_world.applicant, unit_name=name, display_name=name)
    home = open_page("streamlit_app.py", account)
    assert _shown_as_text(home, name)
    assert any(md_escape(name) in str(e.value) for e in home.subheader)  # the greeting
    assert any(md_escape(name) in str(e.value) for e in home.sidebar.caption)
    cases_page = open_page("pages/my_cases.py", account)
    assert _shown_as_text(cases_page, name)
