"""A download on the officer's case page hands the file over only after its audit entry is written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from flows.review.disclosure import Look
from ui.preview import recorded


def test_the_entry_is_written_before_the_file_is_made_and_a_failed_entry_gives_no_file() -> None:
    calls: list[str] = []

    def record(look: Look, detail: Mapping[str, Any]) -> None:
        calls.append(f"{look.value}:{detail['material']}")

    def fetch() -> bytes:
        calls.append("fetch")
        return b"%PDF"

    assert recorded(fetch, record, Look.DOWNLOAD_MATERIAL, {"material": 7}) == b"%PDF"
    assert calls == ["download_material:7", "fetch"]

    def failing(look: Look, detail: Mapping[str, Any]) -> None:
        raise RuntimeError("database unavailable")

    calls.clear()
    with pytest.raises(RuntimeError):
        recorded(fetch, failing, Look.DOWNLOAD_DOSSIER, {"parts": 3})
    assert calls == []
    assert recorded(fetch, None, Look.DOWNLOAD_MATERIAL, {"material": 1}) == b"%PDF"  # an applicant's own file
