"""What a read of one uploaded file found: plain, frozen data that survives a trip through JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from flows.filing.schema import Material

Status = Literal["done", "failed"]


@dataclass(frozen=True)
class ReadValue:
    """One value found on a page, where it was, and whether it passed its identifier check."""

    paper: str  # flows.filing.schema.Paper value
    field: str  # flows.filing.schema.ReadField value
    value: str  # as read (normalised); for a personal ID number only its masked form once stored
    page: int  # 1-based
    where: str = ""  # e.g. "左上部"
    score: float = 0.0
    valid: bool = True  # False: read, but fails its check characters (a misread, not a mismatch)
    digest: str = ""  # keyed hash of a personal value (the value itself is not kept)
    box: tuple[float, float, float, float] | None = None  # where on the upright page, in its pixels


@dataclass(frozen=True)
class PageCheck:
    """What the page image looked like."""

    page: int
    blank: bool = False
    dark: bool = False
    blurred: bool = False
    small: bool = False
    sideways: bool = False  # turned by 90°: read after turning it upright
    seal: bool | None = None  # None: not looked for

    @property
    def unreadable(self) -> bool:
        return self.dark or self.blurred or self.small


@dataclass(frozen=True)
class Reading:
    """The outcome of reading one file. `failed`: the engine crashed, ran out of time or memory, or the
    file could not be opened; `note` says which, in Chinese, for the officer."""

    status: Status
    values: tuple[ReadValue, ...] = ()
    pages: tuple[PageCheck, ...] = ()
    page_count: int = 0
    engine: str = ""
    seconds: float = 0.0
    note: str = ""
    cpu_seconds: float = 0.0  # CPU time the read took (its wall-clock time is `seconds`)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> Reading:
        return Reading(status=data.get("status", "failed"),
                       values=tuple(ReadValue(**{**v, "box": tuple(v["box"]) if v.get("box") else None})
                                    for v in data.get("values") or ()),
                       pages=tuple(PageCheck(**p) for p in data.get("pages") or ()),
                       page_count=int(data.get("page_count") or 0), engine=str(data.get("engine") or ""),
                       seconds=float(data.get("seconds") or 0.0), note=str(data.get("note") or ""),
                       cpu_seconds=float(data.get("cpu_seconds") or 0.0))

    @staticmethod
    def failure(note: str, *, seconds: float = 0.0) -> Reading:
        return Reading(status="failed", note=note, seconds=seconds)

    def value(self, paper: str, read_field: str) -> ReadValue | None:
        """The best value read for (paper, field): a valid one before one that fails its check."""
        found = [v for v in self.values if v.paper == paper and v.field == read_field]
        found.sort(key=lambda v: (not v.valid, -v.score))
        return found[0] if found else None


@dataclass(frozen=True)
class ReadRequest:
    """What to look for in one file: the papers (flows.filing.schema.Paper values) and their fields, and seals."""

    file_type: str  # pdf | jpeg | png
    papers: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (paper, fields)
    seal: bool = False
    max_pages: int = 10

    def to_json(self) -> dict[str, Any]:
        return {"file_type": self.file_type, "papers": [[p, list(f)] for p, f in self.papers], "seal": self.seal,
                "max_pages": self.max_pages}

    @staticmethod
    def from_json(data: dict[str, Any]) -> ReadRequest:
        return ReadRequest(file_type=str(data["file_type"]),
                           papers=tuple((str(p), tuple(str(x) for x in f)) for p, f in data.get("papers") or ()),
                           seal=bool(data.get("seal")), max_pages=int(data.get("max_pages") or 10))


def request_for(material: Material, file_type: str) -> ReadRequest:
    """What to read in a file given for `material`, as its definition declares."""
    papers: dict[str, list[str]] = {}
    for reads in material.reads:
        fields = papers.setdefault(reads.paper.value, [])
        fields += [f.value for f, _question in reads.compare if f.value not in fields]
    return ReadRequest(file_type=file_type, papers=tuple((p, tuple(f)) for p, f in papers.items()),
                       seal=material.sealed)
