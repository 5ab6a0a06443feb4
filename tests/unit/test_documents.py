"""Documents: every kind read back as text, missing glyphs refused, pages not blank."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import cast

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from flows.documents import render as documents
from flows.documents.fonts import COMMON_FONT, FREQUENT_FONT, faces_for, font_codepoints, font_file
from flows.documents.render import (
    Application,
    DocumentSpec,
    Issuer,
    MissingGlyph,
    acceptance_notice,
    certificate,
    chinese_date,
    correction_notice,
    refusal_decision,
    remedies,
    render,
)
from flows.errors import DomainError
from flows.uploads.checks import check_upload
from tests.support import decode_qr, qr_images, text_of

ISSUED = date(2026, 11, 27)
ISSUED_TEXT = "2026年11月27日"
PROVINCE = "新疆维吾尔自治区"
PREFECTURE = "乌鲁木齐市公安局"
UNIT = "新疆天山保安服务有限公司"
CODE = "91650100MA77XXXX1A"
URL = "https://verify.example.gov.cn/v?c=7KQ4M9XA2HTR"
ISSUER = Issuer(organ=PREFECTURE, undertaker="乌鲁木齐市公安局治安管理支队", province=PROVINCE)
MATTER_B = "保安服务公司跨省（自治区、直辖市）提供服务备案"
MATTER_C = "自行招用保安员单位备案"


def application(unit: str, matter: str, submitted: date, case_number: str) -> Application:
    return Application(case_number=case_number, matter=matter, unit_name=unit, credit_code=CODE,
                       submitted_on=submitted)


def a_certificate(title: str, number: str, unit: str, code: str, paragraphs: list[str],
                  rows: list[tuple[str, str]], *, footer: str | None = None, organ: Issuer = ISSUER,
                  addressee: str | None = None, closing: tuple[str, ...] = ()) -> DocumentSpec:
    return certificate(title=title, number=number, issuer=organ, issued_on=ISSUED, addressee=addressee,
                       paragraphs=paragraphs, closing=closing,
                       table=[("编号", number), ("单位", unit), ("统一社会信用代码", CODE), *rows],
                       verification_code=code, verify_url=URL, footer=footer)


def spec_of(kind: str, unit: str = UNIT) -> DocumentSpec:
    if kind == "acceptance":
        return acceptance_notice(
            number="乌公治受字〔2026〕12号", application=application(unit, MATTER_B, date(2026, 11, 25), "B20261125000123"),
            issuer=ISSUER, issued_on=ISSUED, time_limits=["本机关将依照规定时限办理，最迟于2026年12月4日办结。"],
        )
    if kind == "correction":
        return correction_notice(
            number="乌公治补字〔2026〕3号", application=application(unit, MATTER_C, date(2026, 11, 20), "C20261120000045"),
            issuer=ISSUER, issued_on=ISSUED,
            items=[("保安服务管理制度", "未加盖单位公章"), ("保安员名册第3行身份证号", "校验位错误")],
            note="服务区域面积与平面图不一致，请核实。",
        )
    if kind == "rejection":
        return refusal_decision(
            title="不予通过决定书", verb="不予通过", number="新公治决字〔2026〕1号",
            application=application(unit, "保安服务公司法定代表人变更", date(2026, 11, 1), "A20261101000007"),
            issuer=Issuer(organ="新疆维吾尔自治区公安厅", undertaker="新疆维吾尔自治区公安厅治安管理总队",
                          province=PROVINCE, reconsideration="新疆维吾尔自治区人民政府"),
            issued_on=ISSUED, reasons=["拟任法定代表人不具备5年以上相关工作经历。"],
        )
    if kind in ("filing_b", "filing_c"):
        footer = ("自行招用保安员单位不再招用保安员进行保安服务的，应当自停止保安服务之日起30日内到原备案机关撤销备案。"
                  if kind == "filing_c" else None)
        return a_certificate("备案证明", "乌公治备字〔2026〕88号", unit, "7KQ4-M9XA-2HTR",
                             [f"{unit}派出保安员跨省（自治区、直辖市）提供保安服务的备案材料收悉。经审核，予以备案。特此证明。"],
                             [("服务地点", "乌鲁木齐市天山区解放北路1号"), ("派驻保安员", "12人")], footer=footer)
    if kind == "cancellation":
        return a_certificate("撤销备案证明", "乌公治撤字〔2026〕5号", unit, "ABCD-EFGH-JKLM",
                             [f"{unit}于2026年11月10日停止自行招用保安员进行保安服务，申请撤销自行招用保安员单位备案"
                              "（原备案编号：乌公治备字〔2025〕17号）。经审核，准予撤销备案。特此证明。"],
                             [("停止保安服务日期", "2026年11月10日")])
    if kind == "review":
        return a_certificate("保安服务公司变更法定代表人审核意见书", "新公治审字〔2026〕9号", unit, "QWER-TYUP-ASDF",
                             ["你公司申请将法定代表人由张三变更为艾尔肯·吐尔逊。经审核，同意你公司变更法定代表人。"],
                             [("保安服务许可证编号", "新公保服20100001号")], addressee=unit,
                             closing=("请你公司持本意见书到市场监督管理部门办理法定代表人变更登记。",),
                             organ=Issuer(organ="新疆维吾尔自治区公安厅", undertaker="新疆维吾尔自治区公安厅治安管理总队",
                                          province=PROVINCE))
    raise AssertionError(kind)


KINDS = ("acceptance", "correction", "rejection", "filing_b", "filing_c", "cancellation", "review")


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
    assert spec.verification_code is not None
    # printed in groups of four (grouped_code), found again as the verification page reads it
    assert spec.verification_code.replace("-", "") in text
    assert documents.VERIFY_LINE in text
    assert image_xobjects(pdf)


def test_notice_without_code_has_no_image() -> None:
    pdf = render(dataclasses.replace(spec_of("acceptance"), seal=None))
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
    assert remedies("新疆维吾尔自治区人民政府") in text
    assert "60日内向新疆维吾尔自治区人民政府申请行政复议" in text  # 行政复议法第二十条: which organ, said


@pytest.mark.parametrize(("region", "hears"), [("650000", "新疆维吾尔自治区人民政府"),
                                               ("650100", "乌鲁木齐市人民政府"),
                                               ("652300", "昌吉回族自治州人民政府"),
                                               ("652900", "阿克苏地区行政公署")])
def test_a_refusal_names_the_organ_that_hears_an_application_for_reconsideration(region: str, hears: str) -> None:
    """Before: 「可以…60日内依法申请行政复议」 without saying where, on every refusal."""
    from flows.config import get_config

    assert get_config().issuing_organ(region).reconsideration == hears


def FPDF_FOR_WIDTHS() -> documents.FPDF:  # noqa: N802 - a factory read like a constant
    pdf = documents.FPDF()
    pdf.add_font(documents.FONT_FAMILY, fname=FREQUENT_FONT.path())
    pdf.set_font(documents.FONT_FAMILY, size=14)
    return pdf


def test_review_document_names_both_representatives() -> None:
    text = text_of(render(spec_of("review")))
    assert "张三" in text and "艾尔肯·吐尔逊" in text
    assert "市场监督管理部门" in text


def test_filing_c_reminds_of_cancellation() -> None:
    assert "30日内到原备案机关撤销备案" in text_of(render(spec_of("filing_c")))


def test_documents_name_the_organ_and_its_handling_unit() -> None:
    text = text_of(render(spec_of("filing_b")))
    assert "乌鲁木齐市公安局" in text and "承办单位：乌鲁木齐市公安局治安管理支队" in text


def test_rare_character_outside_gb2312_renders() -> None:
    unit = "新疆喆堃保安服务有限公司"
    pdf = render(spec_of("filing_b", unit=unit))
    assert unit in text_of(pdf)


@pytest.mark.parametrize("unit", ["新疆䶮明保安服务有限公司", "新疆𠮷祥保安服务有限公司", "新疆䶮𠮷喆堃保安服务有限公司"])
def test_rare_characters_of_extension_a_and_b_print_through_the_fallback_font(unit: str) -> None:
    for kind in ("filing_b", "acceptance"):
        pdf = render(spec_of(kind, unit=unit))
        assert unit in text_of(pdf)


def test_a_character_no_font_holds_refuses_the_document() -> None:
    with pytest.raises(MissingGlyph) as caught:
        render(spec_of("filing_b", unit="新疆\u0626保安服务有限公司"))  # Uyghur in Arabic script
    assert caught.value.message == (
        "文书中的“\u0626”字（U+0626）无法用文书字体显示，文书未生成。请联系管理员处理。"
    )
    assert caught.value.char == "\u0626"
    assert isinstance(caught.value, DomainError)


def test_missing_glyph_in_table_value_refused() -> None:
    spec = dataclasses.replace(spec_of("acceptance"), table=(("法定代表人", "王\u0626"),))
    with pytest.raises(MissingGlyph):
        render(spec)


def test_without_the_fallback_fonts_a_rare_character_is_unprintable(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.documents import fonts as document_fonts

    assert document_fonts.unprintable("刘䶮") is None
    monkeypatch.setenv(document_fonts.FALLBACK_ENV, "/nonexistent/font.ttf")
    assert document_fonts.unprintable("刘䶮") == "䶮"
    with pytest.raises(MissingGlyph):
        render(spec_of("filing_b", unit="新疆䶮明保安服务有限公司"))


def test_a_credit_code_or_number_is_never_split_across_lines() -> None:
    pdf = FPDF_FOR_WIDTHS()
    line = "甲" * 20 + "（统一社会信用代码：91650100MA77XXXX1A）"
    lines = documents.wrap(pdf, line, 100)
    assert len(lines) > 1
    assert any("91650100MA77XXXX1A" in piece for piece in lines)
    assert all(not piece.startswith(("，", "）")) for piece in lines)


def test_a_link_is_never_split_after_its_scheme() -> None:
    """An outside review saw the certificate's verification link broken after "http://", alone on its line."""
    pdf = FPDF_FOR_WIDTHS()
    link = "http://127.0.0.1:8501/verify?code=ABCD"
    lines = documents.wrap(pdf, "扫码或登录验证页面输入验证码核验真伪" * 2 + link, 100)
    assert any(link in piece for piece in lines), lines
    assert not any(piece.endswith("http://") or piece.endswith("http:") for piece in lines)


def test_same_spec_gives_same_bytes() -> None:
    spec = spec_of("filing_b")
    assert render(spec) == render(spec)


def test_documents_rendered_at_once_are_each_what_they_are_alone() -> None:
    """A process's documents share each face's font object (copied per document): several rendered at once,
    as a server's sessions do, each come out exactly as they do alone, whatever faces they print with."""
    units = (UNIT, "新疆琰昊保安服务有限公司", "新疆喆堃保安服务有限公司", "乌鲁木齐𠮷䶮物业服务有限公司")
    specs = [spec_of(kind, unit=unit) for kind in ("acceptance", "correction", "filing_b") for unit in units]
    alone = [render(spec) for spec in specs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            assert list(pool.map(render, specs)) == alone


def test_documents_pass_the_upload_check() -> None:
    pdf = render(spec_of("review"))
    checked = check_upload(pdf, "审核意见书.pdf", allowed=("pdf",), max_bytes=5 * 1024 * 1024)
    assert checked.pages == 1


def test_many_items_flow_onto_numbered_pages() -> None:
    spec = correction_notice(
        number="乌公治补字〔2026〕4号", application=application(UNIT, MATTER_C, date(2026, 11, 20), "C20261120000046"),
        items=[(f"材料{n}", "扫描件模糊，无法辨认文字，请重新扫描后上传" * 2) for n in range(1, 41)],
        issuer=ISSUER, issued_on=ISSUED,
    )
    pdf = render(spec)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages >= 2
    text = text_of(pdf)
    assert f"第2页共{pages}页" in text
    assert "40．材料40" in text
    assert ISSUED_TEXT in text


def test_builders_refuse_empty_reasons() -> None:
    app = application("x", "x", ISSUED, "x")
    with pytest.raises(DomainError):
        correction_notice(number="x", application=app, issuer=ISSUER, issued_on=ISSUED, items=[])
    with pytest.raises(DomainError):
        correction_notice(number="x", application=app, issuer=ISSUER, issued_on=ISSUED, items=[("营业执照", " ")])
    with pytest.raises(DomainError):
        refusal_decision(title="不予备案决定书", verb="不予备案", number="x", application=app, issuer=ISSUER,
                         issued_on=ISSUED, reasons=["  "])


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
    full = ImageFont.truetype(str(font_file()), 48, index=0)
    reduced = ImageFont.truetype(str(COMMON_FONT.path()), 48)
    frequent = ImageFont.truetype(str(FREQUENT_FONT.path()), 48)
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
    path = font_file()
    assert isinstance(path, Path) and path.name == "wqy-microhei.ttc"
    assert ord("保") in font_codepoints()
    assert 0x4DAE not in font_codepoints()


# ------------------------------------------------------------------ dates, QR code, printed link
SIGNED_URL = ("http://127.0.0.1:8501/verify?code=7KQ4M9XA2HTRABCDEFGHJKLMNP&sig="
              "Jw3s0fPq9yq2Y1rV7m5uV9xZl0Gg2mXhZb1wJ0Yc1E9o4w0O8pVq2W7Xj9oQk3R6mFq1V0aB8sD4fG2hJ5kL7A")


def test_notices_print_their_dates() -> None:
    acceptance = text_of(render(spec_of("acceptance")))
    assert "2026年11月25日" in acceptance  # submitted
    assert "最迟于2026年12月4日办结" in acceptance  # due (as the issuing code words it)
    assert "受理日期" in acceptance and ISSUED_TEXT in acceptance
    correction = text_of(render(spec_of("correction")))
    assert "2026年11月20日" in correction
    cancellation = text_of(render(spec_of("cancellation")))
    assert "2026年11月10日" in cancellation and "乌公治备字〔2025〕17号" in cancellation


def seal_images(pdf: bytes) -> list[Image.Image]:
    return [image.image for image in PdfReader(io.BytesIO(pdf)).pages[0].images
            if image.image is not None and image.image.mode == "RGBA"]


def test_every_document_carries_its_organs_seal_and_stays_small() -> None:
    for kind in KINDS:
        spec = dataclasses.replace(spec_of(kind), seal="乌鲁木齐市公安局")
        pdf = render(spec)
        (seal,) = seal_images(pdf)
        red = seal.getpixel((seal.width // 2, seal.height // 2 + 5))  # the star in the middle
        assert isinstance(red, tuple) and red[0] > 150 and red[1] < 60 and red[3] > 150
        assert len(pdf) < 100 * 1024
        assert text_of(pdf) == text_of(render(dataclasses.replace(spec, seal=None)))  # a picture, not text


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
    faces = faces_for(list(spec.texts()))
    expected = {"frequent": FREQUENT_FONT.path(), "common": COMMON_FONT.path(), "full": font_file()}[face]
    assert faces.main == expected and not faces.fallbacks
    assert unit in text_of(render(spec))
