"""Who is on the other end: the client's address, for throttles and the audit log.

The peer's address as uvicorn (under Streamlit) reports it: behind the reverse proxy (deploy/: nginx) uvicorn
takes it from `X-Forwarded-For`, but only for connections from the addresses in env `FORWARDED_ALLOW_IPS`
(default 127.0.0.1); from anyone else the header is ignored (it is forged as easily as typed). Both
`request.client` of the HTTP routes and `st.context.ip_address` of the pages follow that rule.
"""

from __future__ import annotations


def client_address(peer: str | None) -> str:
    """The client's address ("" when unknown), at most as long as an IPv6 address."""
    return (peer or "").strip()[:45]
