"""The font a document embeds: only its characters, drawn exactly as the face draws them."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import cast

import pytest
from fontTools import ttLib
from PIL import Image, ImageChops, ImageDraw, ImageFont

from flows.documents import fonts
from flows.documents.fonts import COMMON_FONT, embedded_font, fallbacks, font_file

# Frequent and rare hanzi (many of WenQuanYi's are composite glyphs built from components), Latin,
# digits and the punctuation documents print.
TEXT = "保安服务备案证明新疆维吾尔自治区公安厅琰昊喆堃乌鲁木齐市ABCxyz0123：（）〔〕，。"


def drawn(font: ImageFont.FreeTypeFont, text: str) -> Image.Image:
    image = Image.new("L", (60 * len(text), 80), 255)
    ImageDraw.Draw(image).text((4, 4), text, font=font, fill=0)
    return image


def test_the_embedded_font_draws_what_the_face_draws() -> None:
    data = embedded_font(font_file(), {ord(c) for c in TEXT}).data
    face = ImageFont.truetype(str(font_file()), 48, index=0)
    embedded = ImageFont.truetype(io.BytesIO(data), 48)
    for text in (TEXT[:12], TEXT[12:24], TEXT[24:]):
        expected, got = drawn(face, text), drawn(embedded, text)
        assert ImageChops.difference(expected, got).getbbox() is None
        assert cast(tuple[int, int], got.getextrema())[0] == 0  # ink: not blank boxes


def test_the_embedded_font_holds_only_the_characters_asked_for() -> None:
    data = embedded_font(COMMON_FONT.path(), {ord(c) for c in "受理通知书"}).data
    font = ttLib.TTFont(io.BytesIO(data))
    assert set(font.getBestCmap()) == {ord(c) for c in "受理通知书"}
    assert len(data) < 20 * 1024


def test_a_rare_character_embeds_from_its_fallback_face() -> None:
    (path, codepoints), *_ = fallbacks()
    assert 0x4DAE in codepoints  # 䶮 (CJK Extension A)
    data = embedded_font(path, {0x4DAE}).data
    assert set(ttLib.TTFont(io.BytesIO(data)).getBestCmap()) == {0x4DAE}
    reference = ImageFont.truetype(str(path), 48)
    embedded = ImageFont.truetype(io.BytesIO(data), 48)
    assert ImageChops.difference(drawn(reference, "䶮"), drawn(embedded, "䶮")).getbbox() is None


def test_the_font_folder_of_a_killed_process_is_removed_by_the_next_one(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A process killed with SIGKILL runs no exit handler: its font folder (~1 MB) would stay in /tmp for good.
    The next process that makes its own removes the folders of processes that are gone, and only those."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(fonts, "_TEMP_DIR", [])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    orphan = tmp_path / f"{fonts.TEMP_PREFIX}{gone.pid}-k1ll3d"
    orphan.mkdir()
    (orphan / "frequent.ttf").write_bytes(b"\0" * 1024)
    living = tmp_path / f"{fonts.TEMP_PREFIX}{os.getpid()}-al1ve"
    living.mkdir()
    unnamed = tmp_path / f"{fonts.TEMP_PREFIX}0ld"  # an old folder without a process id: not judged
    unnamed.mkdir()
    made = fonts._private_dir()
    assert not orphan.exists()
    assert living.exists() and unnamed.exists()
    assert made.parent == tmp_path and made.name.startswith(f"{fonts.TEMP_PREFIX}{os.getpid()}-")
