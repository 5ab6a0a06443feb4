"""The registry of filings: every module in this package that defines FILING is one kind.

Adding a filing is adding a module here; nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from flows.filing.schema import Filing, LedgerBook
from flows.review.transitions import Act, Stage, act_label, stage_label


@cache
def all_filings() -> dict[str, Filing]:
    """Every filing by its kind letter, validated once."""
    found: dict[str, Filing] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        filing = getattr(module, "FILING", None)
        if isinstance(filing, Filing):
            if filing.kind in found:
                raise ValueError(f"two filings claim kind {filing.kind}")
            found[filing.kind] = filing
    for filing in found.values():
        for cancelled in filing.cancels:
            if cancelled not in found:
                raise ValueError(f"filing {filing.kind} cancels unknown kind {cancelled}")
    return dict(sorted(found.items()))


def get_filing(kind: str) -> Filing:
    """The filing definition of one kind; KeyError if unknown."""
    return all_filings()[kind]


def kinds_in(book: LedgerBook) -> list[str]:
    """The kinds whose approved cases one ledger lists (the cancelled ledger: the kinds that cancel)."""
    return [kind for kind, filing in all_filings().items() if filing.ledger is not None and filing.ledger.book == book]


def cancellable_kinds() -> list[str]:
    """The kinds whose filings some kind cancels (what a cancellation may refer to)."""
    wanted = {k for filing in all_filings().values() for k in filing.cancels}
    return [kind for kind in all_filings() if kind in wanted]


def cancelling_kinds() -> list[str]:
    """The kinds whose approval cancels the filing they refer to."""
    return [kind for kind, filing in all_filings().items() if filing.cancels]


def baseline_kinds() -> dict[str, str]:
    """The kinds the baseline list (底数) counts, by every name its 业务类型 column may give them."""
    names: dict[str, str] = {}
    for kind, filing in all_filings().items():
        if filing.baseline_names:
            for name in (kind, filing.short_title, filing.title, *filing.baseline_names):
                names[name] = kind
    return names


def _refusal_verb(kind: str) -> str:
    filing = all_filings().get(kind)
    return filing.refusal_verb if filing else ""


def act_name(act: Act, kind: str, *, to_applicant: bool = False) -> str:
    """The act's name on a case of `kind`: its refusal is 不予备案 for a filing (transitions.act_label)."""
    return act_label(act, _refusal_verb(kind), to_applicant=to_applicant)


def stage_name(stage: Stage, kind: str) -> str:
    """The stage's name as a case of `kind` is in it: a refused filing is 已办结（不予备案）, as its decision
    says; an unknown kind (a case of a business no longer offered) gets the plain name."""
    return stage_label(stage, _refusal_verb(kind))
