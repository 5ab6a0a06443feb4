"""Which notices and certificates an act issues, built from the case (filled in with documents.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flows.ports import CaseView, NewDocument, ReturnItem
from flows.review import Act, Actor
from flows.schema import Filing


def documents_for(act: Act, *, case: CaseView, filing: Filing, answers: dict[str, Any], actor: Actor,
                  items: tuple[ReturnItem, ...], comment: str, today: date) -> tuple[NewDocument, ...]:
    """The documents this act issues (none for most acts)."""
    return ()
