"""The store side of flows.oversight.tables.ListStore: the screening list and the baseline of known units."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from flows.oversight.tables import BaselineImport, ImportReport, Row
from store import baseline, screening


class SqlListStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def import_screening_rows(self, rows: list[Row], *, name: str, actor_id: int,
                              progress: Callable[[int], None] | None) -> ImportReport:
        return screening.import_rows(self.engine, iter(rows), name=name, actor_id=actor_id, progress=progress)

    def remove_screening_batch(self, batch_id: int, *, actor_id: int) -> None:
        screening.remove_batch(self.engine, batch_id, actor_id=actor_id)

    def import_baseline(self, rows: list[Row], *, actor_id: int) -> BaselineImport:
        return baseline.import_baseline(self.engine, iter(rows), actor_id=actor_id)
