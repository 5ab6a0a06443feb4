"""The file name of a download (web/files.py): an applicant chose it, so it must not break the header."""

from __future__ import annotations

from urllib.parse import unquote

from web.files import content_disposition


def test_a_chinese_name_comes_whole_in_the_encoded_form_with_an_ascii_fallback() -> None:
    header = content_disposition("营业执照 副本.pdf")
    assert header.startswith('attachment; filename="') and header.isascii()
    fallback = header.split('filename="')[1].split('"')[0]
    assert fallback.endswith(".pdf") and fallback.isascii()
    assert unquote(header.split("filename*=UTF-8''")[1]) == "营业执照 副本.pdf"


def test_quotes_separators_and_line_breaks_are_dropped() -> None:
    header = content_disposition('..\\../a"b\r\nSet-Cookie: x=1.jpg')
    assert "\r" not in header and "\n" not in header
    name = unquote(header.split("filename*=UTF-8''")[1])
    assert "/" not in name and "\\" not in name and '"' not in name and not name.startswith(".")
    assert content_disposition("").endswith("filename*=UTF-8''file")
