"""Personal data never reaches a log in clear, whoever logs it and however (message, arguments, traceback)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from store import log_privacy

ID = "650105197606060017"
MOBILE = "13999100006"


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    factory = logging.getLogRecordFactory()
    log_privacy.install()
    log_privacy.install()  # twice: masked once, not wrapped twice
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("test.log_privacy")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield logger, out
    finally:
        logger.removeHandler(handler)
        logging.setLogRecordFactory(factory)


def test_an_id_number_and_a_mobile_are_masked_in_the_message_its_arguments_and_a_traceback(
        logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = logged
    logger.warning(f"answer {ID} refused")
    logger.warning("contact %s, id %s, %d files", MOBILE, ID.lower()[:-1] + "x", 3)
    try:
        raise ValueError(f"input_value='{ID}'")
    except ValueError as error:
        logger.exception("Uncaught app execution")
        logger.error("failed: %s", error)
    text = out.getvalue()
    assert ID not in text and MOBILE not in text and ID[:-1] not in text
    assert "answer 6501**********0017 refused" in text
    assert "contact 139****0006, id 6501**********001x, 3 files" in text
    assert "ValueError: input_value='6501**********0017'" in text and "Traceback" in text
    assert "failed: input_value='6501**********0017'" in text


def test_other_numbers_and_the_shape_of_the_arguments_are_kept(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = logged
    logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/case?id=12", "1.1", 200)
    logger.info("case %(id)s of %(unit)s", {"id": 12, "unit": "91650100MA00001Y1G"})
    text = out.getvalue()
    assert '127.0.0.1:5000 - "GET /case?id=12 HTTP/1.1" 200' in text  # an access log unpacks a tuple of five
    assert "case 12 of 91650100MA00001Y1G" in text  # a credit code is no personal data
    assert log_privacy.mask_personal("订单号 1234567890123456789012") == "订单号 1234567890123456789012"
