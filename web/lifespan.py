"""What the server does once at start, before its first visitor: open the database (migrated once, see
store.db.default_engine) and load the progress report's read model in the background, so that no
officer's first page waits for either. At shutdown: the anonymous verification look-ups still only counted
are written to the audit log."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


def _warm_up() -> None:
    from store.db import default_engine
    from store.reports import warm_up_in_background

    warm_up_in_background(default_engine())


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    threading.Thread(target=_warm_up, name="start-up warm-up", daemon=True).start()
    yield
    from store.db import default_engine
    from store.verification import flush_anonymous_counts

    flush_anonymous_counts(default_engine())  # the anonymous look-ups counted since the last batch
