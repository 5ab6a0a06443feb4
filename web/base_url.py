"""The address printed in certificates' QR codes (env APP_BASE_URL) when none is configured: this
server's own, on the port it actually serves (`make run PORT=8600` → http://localhost:8600)."""

from __future__ import annotations

import os

from streamlit import config

WILDCARDS = ("", "0.0.0.0", "::")


def own_base_url() -> str:
    """http://<server.address or localhost>:<server.port> of this Streamlit server."""
    address = str(config.get_option("server.address") or "")
    host = "localhost" if address in WILDCARDS else (f"[{address}]" if ":" in address else address)
    return f"http://{host}:{int(config.get_option('server.port'))}"


def follow_port() -> None:
    """Set APP_BASE_URL to this server's own address unless it is configured (once, at start-up)."""
    if not os.environ.get("APP_BASE_URL", "").strip():
        os.environ["APP_BASE_URL"] = own_base_url()
