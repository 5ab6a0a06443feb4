"""An officer's view of one case (the dossier), and all its materials merged into one PDF.

`open_dossier` gathers what the case page shows in one read; `merge_dossier` is a pure
function: the materials' bytes in, one PDF out (images become A4 pages).
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fpdf import FPDF
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from flows.cases import DUPLICATE_NOTE, correctable_items, filing_of, load_visible
from flows.clock import local_date
from flows.filing.guide import officer_warnings, relevant_materials
from flows.filing.schema import Filing
from flows.ports import CaseView, DocumentView, EventView, MaterialView, UnitOfWork
from flows.review.screening import ScreeningResult
from flows.review.timelimits import Clock, TimeLeft, time_left
from flows.review.transitions import Act, Actor, Role, available_acts
from flows.uploads.checks import MAX_PAGES

log = logging.getLogger(__name__)

MAX_IMAGE_PIXELS = 60_000_000
SCREENING_READERS = frozenset({Role.PREFECTURE, Role.PROVINCE})  # as flows.cases.screening_history


@dataclass(frozen=True)
class Dossier:
    """Everything the case page shows of one case, read at one moment."""

    case: CaseView
    filing: Filing
    answers: dict[str, Any]
    materials: list[MaterialView]
    events: list[EventView]
    documents: list[DocumentView]
    time_left: TimeLeft | None
    acts: list[Act]
    correctable: list[tuple[str, str]]
    screenings: list[ScreeningResult]  # newest first; only for officers who review (never the applicant)
    unit_verified: bool = True  # False: the unit is 待核验 and the act that checks its licence must say so
    before_correction: dict[str, Any] | None = None  # what the returned items were before the correction

    @property
    def screened(self) -> bool:
        """Whether this filing has an automatic comparison at all."""
        return self.filing.screening_field is not None

    @property
    def first_submitted(self) -> datetime | None:
        return next((e.at for e in self.events if e.act == Act.SUBMIT), None)

    def findings(self) -> list[str] | None:
        """What the case page warns the officer of: the answers' findings worded for officers, counted from the
        first submission, and the notes the submission stored that the answers do not hold (a unit already
        holding a valid filing of this kind). None before any submission: the stored notes as they are."""
        first = self.first_submitted
        if first is None:
            return None
        stored = [w for w in self.case.warnings if w.startswith(DUPLICATE_NOTE)]
        return officer_warnings(self.filing, self.answers, submitted_on=local_date(first)) + stored

    def material_label(self, material_id: str) -> str:
        for m in self.filing.materials:
            if m.id == material_id:
                return m.label
        return material_id

    def missing_materials(self) -> list[str]:
        """Labels of required materials that have no current file (should not happen once submitted)."""
        have = {m.material_id for m in self.materials}
        return [m.label for m in relevant_materials(self.filing, self.answers) if m.required and m.id not in have]


def open_dossier(uow: UnitOfWork, actor: Actor, case_id: int, *, today: date) -> Dossier:
    """The case with its answers, materials, history and documents, if this person may see it (else NotFound)."""
    with uow:
        case = load_visible(uow, actor, case_id)
        filing = filing_of(case)
        running = None
        if case.clock_started_on is not None and case.clock_days is not None:
            running = time_left(Clock(case.clock_started_on, case.clock_days), uow.calendar(), today)
        screenings = (uow.screenings(case_id)
                      if filing.screening_field and actor.role in SCREENING_READERS else [])
        return Dossier(case=case, filing=filing, answers=uow.answers(case_id), materials=uow.materials(case_id),
                       events=uow.events(case_id), documents=uow.documents(case_id), time_left=running,
                       acts=available_acts(actor, case.at(filing.route)), correctable=correctable_items(case),
                       screenings=screenings, unit_verified=uow.unit_verified(case.unit_id),
                       before_correction=uow.draft_state(case_id).before_correction)


# ------------------------------------------------------------------ the merged PDF
@dataclass(frozen=True)
class DossierPart:
    """One material's file: its label (used as the PDF bookmark), type ("pdf", "jpeg", "png") and bytes."""

    label: str
    file_type: str
    data: bytes


@dataclass(frozen=True)
class MergedDossier:
    data: bytes
    pages: int
    skipped: tuple[str, ...]  # labels of parts that could not be read


A4_MM = (210.0, 297.0)
MARGIN_MM = 10.0


def image_to_pdf(data: bytes) -> bytes:
    """One A4 page (portrait or landscape, whichever fits) with the image scaled to fit, upright."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise ValueError("image too large")
            image = ImageOps.exif_transpose(opened).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    landscape = image.width > image.height
    page_w, page_h = (A4_MM[1], A4_MM[0]) if landscape else A4_MM
    box_w, box_h = page_w - 2 * MARGIN_MM, page_h - 2 * MARGIN_MM
    scale = min(box_w / image.width, box_h / image.height)
    w, h = image.width * scale, image.height * scale
    pdf = FPDF(orientation="L" if landscape else "P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    buffer.seek(0)
    pdf.image(buffer, x=(page_w - w) / 2, y=(page_h - h) / 2, w=w, h=h)
    return bytes(pdf.output())


def merge_dossier(parts: Sequence[DossierPart]) -> MergedDossier:
    """All parts in order in one PDF, each bookmarked with its label; unreadable parts are skipped and named."""
    writer = PdfWriter()
    skipped: list[str] = []
    for part in parts:
        try:
            pdf_bytes = part.data if part.file_type == "pdf" else image_to_pdf(part.data)
            reader = PdfReader(io.BytesIO(pdf_bytes), strict=True)
            if reader.is_encrypted:
                raise ValueError("encrypted")
            if len(reader.pages) > MAX_PAGES:
                raise ValueError("too many pages")
            first = len(writer.pages)
            for page in reader.pages:
                writer.add_page(page)
        except (PyPdfError, OSError, ValueError, Image.DecompressionBombError,
                Image.DecompressionBombWarning) as error:
            log.warning("dossier: part %r skipped: %s", part.label, error)
            skipped.append(part.label)
            continue
        if len(writer.pages) > first:
            writer.add_outline_item(title=part.label, page_number=first)
    pages = len(writer.pages)
    if not pages:
        writer.add_blank_page(width=595, height=842)  # a PDF needs a page
    out = io.BytesIO()
    writer.write(out)
    return MergedDossier(data=out.getvalue(), pages=pages, skipped=tuple(skipped))


def merge_contained(parts: Sequence[DossierPart]) -> MergedDossier:
    """`merge_dossier` in a limited worker process (flows.uploads.contained): the parts are applicants' files.
    Beyond the limits: `contained.Failed`."""
    from flows.uploads import contained

    answer, data = contained.run("merge_dossier", [part.data for part in parts],
                                 {"parts": [[part.label, part.file_type] for part in parts]},
                                 contained.Limits(cpu_seconds=60, memory_mb=1536, wall_seconds=120.0))
    return MergedDossier(data=data, pages=int(answer["pages"]), skipped=tuple(str(s) for s in answer["skipped"]))


def merge_task(args: dict[str, Any], blobs: list[bytes]) -> tuple[dict[str, Any], bytes]:
    """In the worker process: the merge."""
    parts = [DossierPart(str(label), str(file_type), blob) for (label, file_type), blob in zip(args["parts"], blobs,
                                                                                               strict=True)]
    merged = merge_dossier(parts)
    return {"pages": merged.pages, "skipped": list(merged.skipped)}, merged.data
