"""What the server does once at start, before its first visitor: open the database (migrated once, see
store.db.default_engine), load the progress report's read model in the background, read the documents'
fonts for the characters they can print and start the fork server the file checks run in
(flows/uploads/contained.py), so that no officer's first page, no first answer and no first upload waits for
any of them. At start and at shutdown it writes a signed checkpoint of the audit log outside the database
(store/audit.py): the first one also records where the keyed chain began. At shutdown, first, the anonymous
verification look-ups still only counted are written to the audit log."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)


def _checkpoint(reason: str) -> None:
    from store.audit import write_checkpoint
    from store.db import default_engine

    try:
        write_checkpoint(default_engine(), reason=reason)
    except Exception:  # never keeps the server from starting or stopping; verify reports a gap
        log.exception("audit checkpoint at %s failed", reason)


def _warm_up() -> None:
    from flows.documents.fonts import printable_codepoints
    from flows.uploads.contained import start_fork_server
    from store.db import default_engine
    from store.reports import warm_up_in_background

    _checkpoint("start")
    warm_up_in_background(default_engine())
    # The documents' fonts, read for the characters they can print (~1 s): every name and address typed is
    # checked against them, and the first answer of a process waited for the reading, with the GIL held.
    printable_codepoints()
    try:
        start_fork_server()  # the first upload then waits for no interpreter to load the parsers
    except OSError:  # started again by the first job that needs it
        log.exception("the fork server for file checks did not start")


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    threading.Thread(target=_warm_up, name="start-up warm-up", daemon=True).start()
    yield
    from store.db import default_engine
    from store.verification import flush_anonymous_counts

    flush_anonymous_counts(default_engine())  # the anonymous look-ups counted since the last batch
    _checkpoint("shutdown")
