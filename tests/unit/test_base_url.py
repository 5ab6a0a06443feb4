"""Certificates' QR links follow the port actually served when APP_BASE_URL is not set (`make run PORT=…`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit import config

from web.base_url import follow_port, own_base_url


@pytest.fixture
def served() -> Iterator[None]:
    before = (config.get_option("server.port"), config.get_option("server.address"))
    yield
    config.set_option("server.port", before[0])
    config.set_option("server.address", before[1])


@pytest.mark.parametrize(("address", "expected"), [(None, "http://localhost:8600"), ("0.0.0.0", "http://localhost:8600"),
                                                   ("127.0.0.1", "http://127.0.0.1:8600"), ("::1", "http://[::1]:8600")])
def test_the_own_address_is_the_port_served(served: None, address: str | None, expected: str) -> None:
    config.set_option("server.port", 8600)
    config.set_option("server.address", address)
    assert own_base_url() == expected


def test_an_unset_app_base_url_follows_the_port(served: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_BASE_URL", "")  # unset as far as the app goes; restored afterwards
    config.set_option("server.port", 8611)
    config.set_option("server.address", None)
    follow_port()
    from flows.documents.issuing import verify_url

    assert verify_url("ABC").startswith("http://localhost:8611/verify?code=ABC")


def test_a_configured_app_base_url_is_kept(served: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_BASE_URL", "https://baoan.example.gov.cn")
    config.set_option("server.port", 8611)
    follow_port()
    from flows.documents.issuing import verify_url

    assert verify_url("ABC") == "https://baoan.example.gov.cn/verify?code=ABC"
