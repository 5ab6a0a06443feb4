"""The fonts documents print with: WenQuanYi Micro Hei, and fallback fonts for rare characters.

Main font: WenQuanYi Micro Hei (from the `paperang_p2_fonts_cjk` package), in the smallest of three
faces that holds all of a document's characters: a reduced copy with Latin and the 3,755 frequent
characters of GB2312 level 1 (most documents), one with all of GB2312 (a name with 琰 or 昊), or the
full font (喆, 堃). The reduced copies are built once per process on first need (or by
`prepare_fonts()`), about 1 s each.

Embedding (`embedded_font`): a face is read once per process (its outlines kept as stored, its
metrics and character map), and each document embeds a small font built from those bytes holding
only the glyphs of the characters it prints (~1 ms), which fpdf2 embeds as it is (render.py: fpdf2's
font object of the face is also made once per process, and copied per document). Handing fpdf2 the
face itself cost ~150 ms per document (it parsed the whole face and subset it again at output).

Fallback fonts: WenQuanYi lacks CJK Extension A (䶮) and B (𠮷), which people's and companies' names
do use. Debian's `fonts-hanazono` (HanaMinA.ttf, HanaMinB.ttf; 53 MB together) covers both; a
document that prints such a character gets a subset of the fallback font holding exactly its rare
characters (fontTools, ~0.3 s; a few KB in the PDF). Without the fallback files installed, those
characters cannot print and `unprintable()` says so, so that the input checks refuse them where
they are typed (never at an officer's act). `DOCUMENT_FALLBACK_FONTS` (paths separated by ":")
replaces the default file list.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import io
import os
import shutil
import struct
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from fontTools import subset as ft_subset
from fontTools import ttLib
from fontTools.ttLib import sfnt
from fontTools.ttLib.tables import _c_m_a_p as _cmap

from flows.errors import DomainError

FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_RESOURCE = ("fonts", "wqy-microhei.ttc")
FALLBACK_FONT_FILES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
)
FALLBACK_ENV = "DOCUMENT_FALLBACK_FONTS"
IGNORED = frozenset({"\n"})


class MissingGlyph(DomainError):
    """Text holds a character no document font can show; the document is not produced."""

    def __init__(self, char: str) -> None:
        shown = char if char.isprintable() else "?"
        super().__init__(
            f"文书中的“{shown}”字（U+{ord(char):04X}）无法用文书字体显示，文书未生成。请联系管理员处理。"
        )
        self.char = char


_TEMP_LOCK = threading.Lock()
_TEMP_DIR: list[str] = []


TEMP_PREFIX = "filing-font-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _remove_orphans() -> None:
    """The font directories of processes that died without running their exit handlers (SIGKILL, OOM):
    named by their process id, removed once it is gone (~1 MB each)."""
    for path in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*-*"):
        pid = path.name.removeprefix(TEMP_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _private_dir() -> Path:
    """A private temporary directory for the fonts this process writes (removed at exit; if the process
    is killed, by the next process that makes one)."""
    with _TEMP_LOCK:
        if not _TEMP_DIR:
            _remove_orphans()
            directory = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
            atexit.register(shutil.rmtree, directory, True)
            _TEMP_DIR.append(directory)
        path = Path(_TEMP_DIR[0])
        os.makedirs(path, mode=0o700, exist_ok=True)  # a temp cleaner may have removed it
        return path


def _written(name: str, data: bytes) -> Path:
    """`data` in the private directory under `name` (written again if a temp cleaner removed it)."""
    path = _private_dir() / name
    if not path.is_file() or path.stat().st_size != len(data):
        path.write_bytes(data)
    return path


def _subset(font: ttLib.TTFont, unicodes: Iterable[int]) -> bytes:
    options = ft_subset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=False,
                                name_IDs=["*"], name_languages=["*"], name_legacy=True)
    options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "vhea", "vmtx", "VORG"]
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=list(unicodes))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------------- main font
def font_file() -> Path:
    ref = resources.files(FONT_PACKAGE).joinpath(*FONT_RESOURCE)
    path = Path(str(ref))
    if not path.is_file():  # pragma: no cover - the package is always installed unzipped
        raise RuntimeError(f"font file not found: {ref}")
    return path


@functools.cache
def font_codepoints() -> frozenset[int]:
    """The code points the main font (WenQuanYi Micro Hei, face 0 of the .ttc) can show."""
    font = ttLib.TTFont(font_file(), fontNumber=0, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def _in_common_set(codepoint: int) -> bool:
    """ASCII, Latin, symbols and every GB2312 character."""
    if codepoint < 0x3000:
        return True
    try:
        chr(codepoint).encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _in_frequent_set(codepoint: int) -> bool:
    """Latin, general punctuation, GB2312's symbol rows and its level 1 (the 3,755 frequent characters)."""
    if codepoint < 0x0250 or 0x2000 <= codepoint < 0x2070:
        return True
    try:
        encoded = chr(codepoint).encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and encoded[0] <= 0xD7


class ReducedFont:
    """A reduced copy of the main font holding the code points `wanted` accepts, built once per process."""

    def __init__(self, name: str, wanted: Callable[[int], bool]) -> None:
        self._name = name
        self._wanted = wanted
        self._lock = threading.Lock()
        self._data: bytes | None = None
        self._codepoints: frozenset[int] = frozenset()

    def codepoints(self) -> frozenset[int]:
        with self._lock:
            self._build()
        return self._codepoints

    def path(self) -> Path:
        with self._lock:
            self._build()
            assert self._data is not None
            return _written(f"wqy-microhei-{self._name}.ttf", self._data)

    def _build(self) -> None:
        if self._data is not None:
            return
        font = ttLib.TTFont(font_file(), fontNumber=0, lazy=True, recalcTimestamp=False, recalcBBoxes=False)
        try:
            keep = [cp for cp in font.getBestCmap() if self._wanted(cp)]
            self._data = _subset(font, keep)
        finally:
            font.close()
        self._codepoints = frozenset(keep)


FREQUENT_FONT = ReducedFont("frequent", _in_frequent_set)
COMMON_FONT = ReducedFont("common", _in_common_set)


# --------------------------------------------------------------------------------------------- fallbacks
def fallback_files() -> tuple[Path, ...]:
    """The fallback font files configured (installed or not)."""
    configured = os.environ.get(FALLBACK_ENV)
    names = [n for n in configured.split(":") if n] if configured is not None else list(FALLBACK_FONT_FILES)
    return tuple(Path(n) for n in names)


@functools.cache
def _fallbacks(files: tuple[Path, ...]) -> tuple[tuple[Path, frozenset[int]], ...]:
    found = []
    for path in files:
        if not path.is_file():
            continue
        font = ttLib.TTFont(path, lazy=True)
        try:
            found.append((path, frozenset(font.getBestCmap())))
        finally:
            font.close()
    return tuple(found)


def fallbacks() -> tuple[tuple[Path, frozenset[int]], ...]:
    """(file, code points) of every installed fallback font, in order (~0.3 s the first time)."""
    return _fallbacks(fallback_files())


@functools.cache
def _printable(files: tuple[Path, ...]) -> frozenset[int]:
    points = set(font_codepoints())
    for _, codepoints in _fallbacks(files):
        points |= codepoints
    return frozenset(points)


def printable_codepoints() -> frozenset[int]:
    """Every code point some document font can print."""
    return _printable(fallback_files())


def unprintable(text: str) -> str | None:
    """The first character of `text` no document font can print (line breaks aside), or None."""
    available = printable_codepoints()
    return next((c for c in text if c not in IGNORED and ord(c) not in available), None)


def check_glyphs(texts: Iterable[str], codepoints: frozenset[int] | None = None) -> None:
    """Raise `MissingGlyph` for the first character (other than a line break) the fonts lack."""
    available = printable_codepoints() if codepoints is None else codepoints
    for text in texts:
        for char in text:
            if char not in IGNORED and ord(char) not in available:
                raise MissingGlyph(char)


@functools.lru_cache(maxsize=128)
def _fallback_subset(path: Path, unicodes: frozenset[int]) -> Path:
    font = ttLib.TTFont(path, lazy=True, recalcTimestamp=False, recalcBBoxes=False)
    try:
        data = _subset(font, sorted(unicodes))
    finally:
        font.close()
    digest = hashlib.sha256(str(path).encode() + b":" + ",".join(map(str, sorted(unicodes))).encode()).hexdigest()
    return _written(f"fallback-{digest[:20]}.ttf", data)


@dataclass(frozen=True)
class Faces:
    """The fonts one document prints with: the main face, and the fallback subsets it needs (in order)."""

    main: Path
    main_codepoints: frozenset[int]
    fallbacks: tuple[tuple[Path, frozenset[int]], ...] = ()

    def printable(self, codepoints: frozenset[int]) -> frozenset[int]:
        """Those of `codepoints` one of these faces draws."""
        printable = codepoints & self.main_codepoints
        for _, fallback in self.fallbacks:
            printable |= codepoints & fallback
        return printable


def faces_for(texts: Sequence[str]) -> Faces:
    """The smallest main face holding the document's common characters, plus a subset of a fallback
    font for each group of rare ones (raises `MissingGlyph` for a character no font holds)."""
    used = {ord(c) for text in texts for c in text if c not in IGNORED}
    full = font_codepoints()
    rare = used - full
    main: tuple[Path, frozenset[int]] = (font_file(), full)
    for reduced in (FREQUENT_FONT, COMMON_FONT):
        if used - rare <= reduced.codepoints():
            main = (reduced.path(), reduced.codepoints())
            break
    extra: list[tuple[Path, frozenset[int]]] = []
    for path, codepoints in fallbacks():
        mine = frozenset(rare & codepoints)
        if mine:
            extra.append((_fallback_subset(path, mine), mine))
            rare -= mine
    if rare:
        raise MissingGlyph(chr(min(rare)))
    return Faces(main[0], main[1], tuple(extra))


# --------------------------------------------------------------------------------------------- embedding
# Outlines are copied byte for byte (composite glyphs' component ids renumbered), so what prints is what
# the face draws.

_COPIED_TABLES = ("OS/2", "name", "cvt ", "fpgm", "prep", "gasp")
_ARG_WORDS, _HAS_SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO = 0x0001, 0x0008, 0x0020, 0x0040, 0x0080


def _component_offsets(data: bytes | bytearray) -> list[int]:
    """Where a composite glyph's component glyph ids are in its bytes (empty for a simple glyph)."""
    if len(data) < 10 or struct.unpack_from(">h", data)[0] >= 0:
        return []
    offsets, at = [], 10
    while True:
        flags = struct.unpack_from(">H", data, at)[0]
        offsets.append(at + 2)
        at += 4 + (4 if flags & _ARG_WORDS else 2)
        at += 2 if flags & _HAS_SCALE else 4 if flags & _XY_SCALE else 8 if flags & _TWO_BY_TWO else 0
        if not flags & _MORE:
            return offsets


class _Face:
    """One TrueType face read once: raw outlines, metrics and character map, to embed parts of it fast."""

    def __init__(self, path: Path) -> None:
        font = ttLib.TTFont(path, fontNumber=0, lazy=True, recalcTimestamp=False, recalcBBoxes=False)
        try:
            reader = font.reader
            order = font.getGlyphOrder()
            ids = {name: index for index, name in enumerate(order)}
            self.cmap: dict[int, int] = {cp: ids[name] for cp, name in font.getBestCmap().items()}
            metrics = font["hmtx"].metrics
            self.metrics = [struct.pack(">Hh", *metrics[name]) for name in order]  # as hmtx stores them
            self._glyphs: dict[int, tuple[bytes, tuple[int, ...]]] = {}
            self.glyf = bytes(reader["glyf"])
            self.loca = list(font["loca"].locations)
            self.tables = {tag: bytes(reader[tag]) for tag in _COPIED_TABLES if tag in reader}
            self.head = bytearray(reader["head"])
            self.hhea = bytearray(reader["hhea"])
            self.maxp = bytearray(reader["maxp"])
            self.post = bytes(reader["post"])[:32]
        finally:
            font.close()

    def _glyph(self, gid: int) -> tuple[bytes, tuple[int, ...]]:
        """A glyph's outline padded to 4 bytes, and where its component glyph ids are (kept once read)."""
        glyph = self._glyphs.get(gid)
        if glyph is None:
            data = self.glyf[self.loca[gid]:self.loca[gid + 1]]
            glyph = self._glyphs[gid] = (data + b"\0" * (-len(data) % 4), tuple(_component_offsets(data)))
        return glyph

    def embedded(self, codepoints: Iterable[int]) -> EmbeddedFont:
        """A TrueType font holding .notdef and the glyphs of `codepoints` (those the face has)."""
        mapped = {cp: self.cmap[cp] for cp in codepoints if cp in self.cmap}
        wanted, todo = {0}, list(mapped.values())
        while todo:  # composite glyphs pull in their components
            gid = todo.pop()
            if gid in wanted:
                continue
            wanted.add(gid)
            data, components = self._glyph(gid)
            todo += [struct.unpack_from(">H", data, at)[0] for at in components]
        gids = sorted(wanted)
        new_id = {gid: index for index, gid in enumerate(gids)}
        glyf, loca = bytearray(), []
        for gid in gids:
            loca.append(len(glyf))
            data, components = self._glyph(gid)
            if components:
                glyph = bytearray(data)
                for at in components:
                    struct.pack_into(">H", glyph, at, new_id[struct.unpack_from(">H", glyph, at)[0]])
                data = bytes(glyph)
            glyf += data
        loca.append(len(glyf))
        count = len(gids)
        head = bytearray(self.head)
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment: the writer computes it
        struct.pack_into(">h", head, 50, 1)  # long offsets in loca
        hhea = bytearray(self.hhea)
        struct.pack_into(">H", hhea, 34, count)  # numberOfHMetrics: every glyph has its own
        maxp = bytearray(self.maxp)
        struct.pack_into(">H", maxp, 4, count)
        cmap = ttLib.newTable("cmap")
        cmap.tableVersion = 0
        subtables = []
        bmp = {cp: f"g{new_id[gid]}" for cp, gid in mapped.items() if cp <= 0xFFFF}
        for fmt, platform, encoding, chars in (
                (4, 3, 1, bmp),
                (12, 3, 10, {cp: f"g{new_id[gid]}" for cp, gid in mapped.items()} if len(bmp) < len(mapped)
                 else None)):
            if chars is None:
                continue
            subtable = _cmap.CmapSubtable.newSubtable(fmt)
            subtable.platformID, subtable.platEncID, subtable.language = platform, encoding, 0
            subtable.cmap = chars
            subtables.append(subtable)
        cmap.tables = subtables
        names = _GlyphNames(count)
        tables = {
            **self.tables, "head": bytes(head), "hhea": bytes(hhea), "maxp": bytes(maxp),
            "hmtx": b"".join([self.metrics[gid] for gid in gids]),
            "loca": struct.pack(f">{len(loca)}I", *loca), "glyf": bytes(glyf),
            "post": struct.pack(">I", 0x00030000) + self.post[4:],  # no glyph names
            "cmap": cmap.compile(names),
        }
        out = io.BytesIO()
        writer = sfnt.SFNTWriter(out, len(tables))
        for tag in sorted(tables):
            writer[tag] = tables[tag]
        writer.close()
        return EmbeddedFont(out.getvalue(), new_id)


class EmbeddedFont(NamedTuple):
    """A document's own font (only its glyphs, renumbered from 0) and which of its glyph ids each of the
    face's glyph ids became."""

    data: bytes
    glyph_ids: dict[int, int]


class _GlyphNames:
    """What compiling a character map asks of a font: glyph ids of the names `embedded` gives (g0, g1...)."""

    def __init__(self, count: int) -> None:
        self._order = [f"g{i}" for i in range(count)]

    def getGlyphID(self, name: str) -> int:  # noqa: N802 - fontTools' name
        return int(name[1:])

    def getReverseGlyphMap(self) -> dict[str, int]:  # noqa: N802 - fontTools' name
        return {name: index for index, name in enumerate(self._order)}

    def getGlyphOrder(self) -> list[str]:  # noqa: N802 - fontTools' name
        return self._order


_FACES_LOCK = threading.Lock()


@functools.lru_cache(maxsize=8)
def _face(path: Path) -> _Face:
    return _Face(path)


def embedded_font(path: Path, codepoints: Iterable[int], *, keep: bool = True) -> EmbeddedFont:
    """A font holding only the glyphs of `codepoints` from the face at `path` (read once per process;
    without `keep`, read for this once: a document's own fallback subset)."""
    if not keep:
        return _Face(path).embedded(codepoints)
    with _FACES_LOCK:
        face = _face(path)
    return face.embedded(codepoints)


def main_faces() -> tuple[Path, ...]:
    """The faces a document's main font is made from, smallest first (building the reduced ones)."""
    return FREQUENT_FONT.path(), COMMON_FONT.path(), font_file()


def prepare_fonts() -> None:
    """Build the reduced fonts, read the faces documents embed from and the fallbacks' maps now (a few
    seconds) rather than during the first documents."""
    font_codepoints()
    for path in main_faces():
        with _FACES_LOCK:
            _face(path)
    printable_codepoints()
