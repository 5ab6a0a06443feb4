"""Every custom HTTP route the app serves beside Streamlit's own (see `serve.py`)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web import auth, files, front_end

ROUTES: list[BaseRoute] = [*auth.ROUTES, *files.ROUTES, *front_end.ROUTES]
