"""Documents: every kind read back as text, missing glyphs refused, pages not blank."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import TypedDict, cast

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from flows import documents
from flows.documents import (
    REMEDIES,
    DocumentSpec,
    MissingGlyph,
    acceptance_notice,
    cancellation_certificate,
    chinese_date,
    correction_notice,
    filing_certificate,
    rejection_decision,
    render,
    review_document,
)
from flows.errors import DomainError
from flows.uploads import check_upload

ISSUED = date(2026, 11, 27)
ISSUED_TEXT = "2026年11月27日"
PROVINCE = "新疆维吾尔自治区"
PREFECTURE = "乌鲁木齐市公安局"
UNIT = "新疆天山保安服务有限公司"
CODE = "91650100MA77XXXX1A"
URL = "https://verify.example.gov.cn/v?c=7KQ4M9XA2HTR"


class Common(TypedDict):
    organ: str
    issued_on: date
    province: str


def spec_of(kind: str, unit: str = UNIT) -> DocumentSpec:
    common = Common(organ=PREFECTURE, issued_on=ISSUED, province=PROVINCE)
    if kind == "acceptance":
        return acceptance_notice(
            number="乌公保受〔2026〕12号", case_number="B-650100-2026-000123", matter=documents.MATTER_B,
            unit_name=unit, credit_code=CODE, submitted_on=date(2026, 11, 25), due_on=date(2026, 12, 4),
            **common,
        )
    if kind == "correction":
        return correction_notice(
            number="乌公保补〔2026〕3号", case_number="C-650100-2026-000045", matter=documents.MATTER_C,
            unit_name=unit, credit_code=CODE, submitted_on=date(2026, 11, 20),
            items=[("保安服务管理制度", "未加盖单位公章"), ("保安员名册第3行身份证号", "校验位错误")],
            note="服务区域面积与平面图不一致，请核实。", **common,
        )
    if kind == "rejection":
        return rejection_decision(
            number="新公治不〔2026〕1号", case_number="A-650000-2026-000007", matter=documents.MATTER_A,
            unit_name=unit, credit_code=CODE, submitted_on=date(2026, 11, 1),
            reasons=["拟任法定代表人不具备5年以上相关工作经历。"], **common,
        )
    if kind in ("filing_b", "filing_c"):
        return filing_certificate(
            kind="B" if kind == "filing_b" else "C", number="乌公保备〔2026〕88号",
            case_number="B-650100-2026-000123", unit_name=unit, credit_code=CODE,
            verification_code="7KQ4-M9XA-2HTR", verify_url=URL,
            details=[("服务地点", "乌鲁木齐市天山区解放北路1号"), ("派驻保安员", "12人")], **common,
        )
    if kind == "cancellation":
        return cancellation_certificate(
            number="乌公保撤〔2026〕5号", case_number="D-650100-2026-000009",
            unit_name=unit, credit_code=CODE,
            original_number="乌公保备〔2025〕17号", stopped_on=date(2026, 11, 10),
            verification_code="ABCD-EFGH-JKLM", verify_url=URL, **common,
        )
    if kind == "review":
        return review_document(
            number="新公治审〔2026〕9号", case_number="A-650000-2026-000008",
            unit_name=unit, credit_code=CODE, licence_number="新公保服20100001号",
            old_representative="张三", new_representative="艾尔肯·吐尔逊",
            verification_code="QWER-TYUP-ASDF", verify_url=URL, organ="新疆维吾尔自治区公安厅",
            issued_on=ISSUED, province=PROVINCE,
        )
    raise AssertionError(kind)


KINDS = ("acceptance", "correction", "rejection", "filing_b", "filing_c", "cancellation", "review")


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def image_xobjects(pdf: bytes) -> list[str]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    resources = cast(DictionaryObject, page["/Resources"])
    if "/XObject" not in resources:
        return []
    xobjects = cast(DictionaryObject, resources["/XObject"])
    return [name for name in xobjects if str(cast(DictionaryObject, xobjects[name])["/Subtype"]) == "/Image"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_reads_back(kind: str) -> None:
    spec = spec_of(kind)
    pdf = render(spec)
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    assert spec.title in text
    assert spec.number is not None and spec.number in text
    assert UNIT in text
    assert spec.organ in text
    assert ISSUED_TEXT in text
    assert CODE in text
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4


@pytest.mark.parametrize("kind", ("filing_b", "filing_c", "cancellation", "review"))
def test_certificates_carry_code_and_qr_image(kind: str) -> None:
    spec = spec_of(kind)
    pdf = render(spec)
    text = text_of(pdf)
    assert spec.verification_code is not None and spec.verification_code in text
    assert documents.VERIFY_LINE in text
    assert image_xobjects(pdf)


def test_notice_without_code_has_no_image() -> None:
    pdf = render(spec_of("acceptance"))
    assert not image_xobjects(pdf)
    assert "验证码" not in text_of(pdf)


def test_correction_notice_tells_everything_at_once() -> None:
    text = text_of(render(spec_of("correction")))
    assert "一次性告知" in text
    assert "保安服务管理制度：未加盖单位公章" in text
    assert "保安员名册第3行身份证号：校验位错误" in text
    assert "服务区域面积与平面图不一致" in text
    assert "补正后重新提交" in text and "网上办事系统" in text


def test_rejection_states_reasons_and_remedies() -> None:
    text = text_of(render(spec_of("rejection")))
    assert "拟任法定代表人不具备5年以上相关工作经历" in text
    assert REMEDIES in text


def test_review_document_names_both_representatives() -> None:
    text = text_of(render(spec_of("review")))
    assert "张三" in text and "艾尔肯·吐尔逊" in text
    assert "市场监督管理部门" in text


def test_filing_c_reminds_of_cancellation() -> None:
    assert "30日内到原备案机关撤销备案" in text_of(render(spec_of("filing_c")))


def test_rare_character_outside_gb2312_renders() -> None:
    unit = "新疆喆堃保安服务有限公司"
    pdf = render(spec_of("filing_b", unit=unit))
    assert unit in text_of(pdf)


def test_missing_glyph_refuses_the_document() -> None:
    with pytest.raises(MissingGlyph) as caught:
        render(spec_of("filing_b", unit="新疆䶮明保安服务有限公司"))
    assert caught.value.message == (
        "文书中的“䶮”字（U+4DAE）无法用文书字体显示，文书未生成。请联系管理员处理。"
    )
    assert caught.value.char == "䶮"
    assert isinstance(caught.value, DomainError)


def test_missing_glyph_in_table_value_refused() -> None:
    spec = dataclasses.replace(spec_of("acceptance"), table=(("法定代表人", "王䶮"),))
    with pytest.raises(MissingGlyph):
        render(spec)


def test_same_spec_gives_same_bytes() -> None:
    spec = spec_of("filing_b")
    assert render(spec) == render(spec)


def test_documents_pass_the_upload_check() -> None:
    pdf = render(spec_of("review"))
    checked = check_upload(pdf, "审核意见书.pdf", allowed=("pdf",), max_bytes=5 * 1024 * 1024)
    assert checked.pages == 1


def test_many_items_flow_onto_numbered_pages() -> None:
    spec = correction_notice(
        number="乌公保补〔2026〕4号", case_number="C-650100-2026-000046", matter=documents.MATTER_C,
        unit_name=UNIT, credit_code=CODE, submitted_on=date(2026, 11, 20),
        items=[(f"材料{n}", "扫描件模糊，无法辨认文字，请重新扫描后上传" * 2) for n in range(1, 41)],
        organ=PREFECTURE, issued_on=ISSUED, province=PROVINCE,
    )
    pdf = render(spec)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages >= 2
    text = text_of(pdf)
    assert f"第2页共{pages}页" in text
    assert "40．材料40" in text
    assert ISSUED_TEXT in text


def test_builders_refuse_empty_reasons() -> None:
    with pytest.raises(DomainError):
        correction_notice(
            number="x", case_number="x", matter="x", unit_name="x", credit_code="x",
            submitted_on=ISSUED, organ="x", issued_on=ISSUED, province="x", items=[],
        )
    with pytest.raises(DomainError):
        correction_notice(
            number="x", case_number="x", matter="x", unit_name="x", credit_code="x",
            submitted_on=ISSUED, organ="x", issued_on=ISSUED, province="x", items=[("营业执照", " ")],
        )
    with pytest.raises(DomainError):
        rejection_decision(
            number="x", case_number="x", matter="x", unit_name="x", credit_code="x",
            submitted_on=ISSUED, organ="x", issued_on=ISSUED, province="x", reasons=["  "],
        )


def test_chinese_date() -> None:
    assert chinese_date(date(2026, 1, 5)) == "2026年1月5日"


def test_page_one_is_not_blank() -> None:
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) is not installed: run scripts/system-deps.sh", pytrace=False)
    pdf = render(spec_of("filing_b"))
    result = subprocess.run(
        ["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", "-"],
        input=pdf, capture_output=True, check=True, timeout=60,
    )
    image = Image.open(io.BytesIO(result.stdout)).convert("L")
    width, height = image.size
    dark = sum(image.histogram()[:128])
    assert dark > 0.01 * width * height
    # The title band (top fifth, centre) has ink: the Chinese glyphs were drawn, not left blank.
    title_band = image.crop((width // 4, height // 12, 3 * width // 4, height // 5))
    darkest, _ = cast(tuple[int, int], title_band.getextrema())
    assert darkest < 100


def test_reduced_font_draws_the_same_glyphs_as_the_full_font() -> None:
    documents.prepare_fonts()
    full = ImageFont.truetype(str(documents._font_file()), 48, index=0)
    reduced = ImageFont.truetype(str(documents._COMMON_FONT.path()), 48)
    frequent = ImageFont.truetype(str(documents._FREQUENT_FONT.path()), 48)
    for text in ("保安服务备案证明", "新疆维吾尔自治区公安厅", "ABCxyz0123：（）〔〕"):
        images = []
        for font in (full, reduced, frequent):
            image = Image.new("L", (900, 80), 255)
            ImageDraw.Draw(image).text((4, 4), text, font=font, fill=0)
            images.append(image)
        assert ImageChops.difference(images[0], images[1]).getbbox() is None
        assert ImageChops.difference(images[0], images[2]).getbbox() is None
        assert cast(tuple[int, int], images[0].getextrema())[0] == 0


def test_font_file_comes_from_the_package() -> None:
    path = documents._font_file()
    assert isinstance(path, Path) and path.name == "wqy-microhei.ttc"
    assert ord("保") in documents.font_codepoints()
    assert 0x4DAE not in documents.font_codepoints()


# ------------------------------------------------------------------ dates, QR code, printed link
SIGNED_URL = ("http://127.0.0.1:8501/verify?code=7KQ4M9XA2HTRABCDEFGHJKLMNP&sig="
              "Jw3s0fPq9yq2Y1rV7m5uV9xZl0Gg2mXhZb1wJ0Yc1E9o4w0O8pVq2W7Xj9oQk3R6mFq1V0aB8sD4fG2hJ5kL7A")


def test_notices_print_their_dates() -> None:
    acceptance = text_of(render(spec_of("acceptance")))
    assert "2026年11月25日" in acceptance  # submitted
    assert "2026年12月4日前办结" in acceptance  # due
    assert "受理日期" in acceptance and ISSUED_TEXT in acceptance
    correction = text_of(render(spec_of("correction")))
    assert "2026年11月20日" in correction
    cancellation = text_of(render(spec_of("cancellation")))
    assert "2026年11月10日" in cancellation and "乌公保备〔2025〕17号" in cancellation


def qr_images(pdf: bytes) -> list[Image.Image]:
    """The images drawn on page one, as Pillow images (the QR code is the only one)."""
    return [image.image for image in PdfReader(io.BytesIO(pdf)).pages[0].images if image.image is not None]


def decode_qr(image: Image.Image) -> list[str]:
    """QR codes read from an image with zxing-cpp (a real decoder); [] when it is not installed."""
    try:
        import zxingcpp
    except ImportError:  # pragma: no cover - zxing-cpp is a test requirement
        return []
    return [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.mark.parametrize("kind", ("filing_b", "filing_c", "cancellation", "review"))
def test_the_qr_code_decodes_to_the_signed_link(kind: str) -> None:
    spec = dataclasses.replace(spec_of(kind), verify_url=SIGNED_URL)
    images = qr_images(render(spec))
    assert len(images) == 1
    decoded = decode_qr(images[0])
    if decoded:
        assert decoded == [SIGNED_URL]
        return
    # Without a decoder: the embedded image is exactly the QR code segno makes of the link.
    import segno

    expected = io.BytesIO()
    segno.make(SIGNED_URL, error="m", micro=False).save(expected, kind="png", scale=8, border=2)
    reference = Image.open(expected).convert("1")
    assert ImageChops.difference(images[0].convert("1"), reference).getbbox() is None


def test_the_printed_link_leaves_the_signature_to_the_qr_code() -> None:
    text = text_of(render(dataclasses.replace(spec_of("filing_b"), verify_url=SIGNED_URL)))
    assert "verify?code=7KQ4M9XA2HTRABCDEFGHJKLMNP" in text
    assert "sig=" not in text and "Jw3s0fPq" not in text
    assert documents.printed_url(SIGNED_URL) == "http://127.0.0.1:8501/verify?code=7KQ4M9XA2HTRABCDEFGHJKLMNP"
    assert documents.printed_url("https://x.cn/verify?code=AB") == "https://x.cn/verify?code=AB"


def test_a_certificate_with_a_signed_link_stays_small_and_on_one_page() -> None:
    pdf = render(dataclasses.replace(spec_of("filing_b"), verify_url=SIGNED_URL))
    assert len(pdf) < 100 * 1024
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


@pytest.mark.parametrize(("unit", "face"), [
    (UNIT, "frequent"), ("新疆琰昊保安服务有限公司", "common"), ("新疆喆堃保安服务有限公司", "full"),
])
def test_each_document_uses_the_smallest_face_holding_its_characters(unit: str, face: str) -> None:
    spec = spec_of("filing_b", unit=unit)
    path, _ = documents._face_for(list(spec.texts()))
    expected = {"frequent": documents._FREQUENT_FONT.path(), "common": documents._COMMON_FONT.path(),
                "full": documents._font_file()}[face]
    assert path == expected
    assert unit in text_of(render(spec))
