"""Every custom HTTP route the app serves beside Streamlit's own (see `serve.py`)."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
