"""The pre-check reads generated licences and ID cards as an applicant's camera and scanner deliver them."""

from __future__ import annotations

import io
import random
from functools import cache

import pytest
from PIL import Image

from bench.precheck_corpus import phone_photo
from bench.precheck_papers import business_licence, id_card, random_company, random_person, rules_page
from flows.filing.schema import Paper, ReadField
from flows.uploads.precheck.fields import PageText, Piece, find_values, where_on_page
from flows.uploads.precheck.ocr import RapidEngine
from flows.uploads.precheck.pages import look
from flows.uploads.precheck.reader import Reader
from flows.uploads.precheck.reading import ReadRequest

LICENCE = (Paper.BUSINESS_LICENCE.value, (ReadField.CREDIT_CODE.value, ReadField.UNIT_NAME.value))
CARD = (Paper.ID_CARD.value, (ReadField.ID_NUMBER.value, ReadField.PERSON_NAME.value))


@cache
def reader() -> Reader:
    return Reader(RapidEngine())


def jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def read(image: Image.Image, *papers: tuple[str, tuple[str, ...]], seal: bool = False) -> dict[str, str]:
    reading = reader().read(jpeg(image), ReadRequest(file_type="jpeg", papers=tuple(papers), seal=seal))
    assert reading.status == "done"
    return {v.field: v.value for v in reading.values if v.valid}


def test_a_scanned_licence_gives_its_credit_code_and_name() -> None:
    rng = random.Random(1)
    company = random_company(rng)
    found = read(business_licence(rng, company, dpi=200), LICENCE)
    assert found == {"credit_code": company.credit_code, "unit_name": company.name}


def test_a_phone_photo_of_an_id_card_gives_the_number_and_name() -> None:
    rng = random.Random(2)
    person = random_person(rng)
    found = read(phone_photo(rng, id_card(rng, person)), CARD)
    assert found == {"id_number": person.id_number, "person_name": person.name}


def test_a_sideways_licence_is_turned_upright_and_read() -> None:
    rng = random.Random(3)
    company = random_company(rng)
    page = business_licence(rng, company, dpi=200).transpose(Image.Transpose.ROTATE_90)
    reading = reader().read(jpeg(page), ReadRequest(file_type="jpeg", papers=(LICENCE,)))
    assert reading.pages[0].sideways
    value = reading.value(*[Paper.BUSINESS_LICENCE.value, ReadField.CREDIT_CODE.value])
    assert value is not None and value.value == company.credit_code and value.where == "左上部"


def test_a_rules_page_is_seen_sealed_or_not() -> None:
    rng = random.Random(4)
    company = random_company(rng)
    assert look(rules_page(rng, company, dpi=150, sealed=True), seal=True).seal
    assert not look(rules_page(rng, company, dpi=150, sealed=False), seal=True).seal


def test_a_blank_scan_and_a_dark_photo_are_told_apart_from_a_page() -> None:
    rng = random.Random(5)
    page = rules_page(rng, random_company(rng), dpi=150)
    assert not look(page, seal=False).blank
    assert look(Image.new("RGB", page.size, (246, 246, 243)), seal=False).blank
    assert look(page.point(lambda v: v // 4), seal=False).dark
    assert look(page.resize((300, 420)), seal=False).small


def test_a_text_pdf_is_read_by_its_text_without_ocr() -> None:
    from fpdf import FPDF

    from flows.documents.fonts import font_file

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("wqy", fname=str(font_file()))
    pdf.set_font("wqy", size=12)
    pdf.cell(0, 10, "统一社会信用代码：91650100MA77TEB291", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 10, "名称：乌鲁木齐春风物业服务有限公司", new_x="LMARGIN", new_y="NEXT")
    reading = reader().read(bytes(pdf.output()), ReadRequest(file_type="pdf", papers=(LICENCE,)))
    assert reading.engine == "pypdf"
    assert {v.field: v.value for v in reading.values} == {"credit_code": "91650100MA77TEB291",
                                                          "unit_name": "乌鲁木齐春风物业服务有限公司"}


# ------------------------------------------------------------------ finding values in recognised text
def page(*pieces: tuple[str, tuple[float, float, float, float]]) -> PageText:
    return PageText(1, tuple(Piece(text, box, 0.95) for text, box in pieces), 1000, 1400)


def test_a_code_that_fails_its_check_characters_is_a_misread_not_a_value() -> None:
    found = find_values(page(("91650100MA77TEB292", (100, 100, 400, 130))), "business_licence", ("credit_code",))
    assert [(v.value, v.valid) for v in found] == [("91650100MA77TEB292", False)]


def test_letters_a_credit_code_never_uses_are_read_as_the_digits_they_look_like() -> None:
    found = find_values(page(("9165O1OOMA77TEB291", (100, 100, 400, 130))), "business_licence", ("credit_code",))
    assert [(v.value, v.valid) for v in found] == [("91650100MA77TEB291", True)]


def test_a_name_is_the_text_after_its_label_and_a_wrapped_name_is_joined() -> None:
    text = page(("名称", (100, 500, 160, 530)), ("新疆乌鲁木齐天山区幸福家园物业", (200, 500, 560, 530)),
                ("注册资本", (600, 500, 700, 530)), ("100万元", (720, 500, 800, 530)),
                ("服务有限公司", (200, 540, 330, 570)), ("类型", (100, 600, 160, 630)))
    found = find_values(text, "business_licence", ("unit_name",))
    assert [v.value for v in found] == ["新疆乌鲁木齐天山区幸福家园物业服务有限公司"]


@pytest.mark.parametrize(("box", "where"), [((10, 10, 100, 40), "左上部"), ((450, 650, 550, 700), "中部"),
                                            ((800, 1300, 990, 1380), "右下部"), ((450, 1300, 550, 1380), "下部")])
def test_where_on_the_page_is_said_in_words(box: tuple[float, float, float, float], where: str) -> None:
    assert where_on_page(box, 1000, 1400) == where


def test_a_character_too_many_beside_an_id_number_is_dropped_where_the_check_digit_says_so() -> None:
    found = find_values(page(("公民身份号码", (300, 720, 500, 760)), ("B652301197901312480", (490, 720, 1100, 760))),
                        "id_card", ("id_number",))
    assert [v.value for v in found if v.valid] == ["652301197901312480"]
