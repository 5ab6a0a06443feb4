"""The network source: a JSON-over-HTTP comparison service on the police network.

Request: POST {"id_number": "..."}; answer: {"results": [{"category": "fugitive", "hit": true,
"reference": "..."}, ...]}. A timeout, an HTTP error or an answer that does not parse gives
SourceFailed, after a bounded number of retries; never a clear.

The request carries an ID number, so the transport is fixed (`Transport`, from the environment, never from
the database): https only, the certificate checked (against `SCREENING_CA_FILE` when the service has a
private CA), a bearer token (`SCREENING_TOKEN`) and/or a client certificate (`SCREENING_CLIENT_CERT`,
`SCREENING_CLIENT_KEY`), and the host on an allow-list (`SCREENING_ALLOWED_HOSTS`, comma-separated). Any
other address (http://, file://, another host) is refused where the administrator types it
(`check_address`) and again before every request; redirects are not followed.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flows.errors import FieldError
from flows.review.screening import CATEGORIES, CategoryResult, Outcome, SourceFailed

NOT_HTTPS = ("比对服务地址必须以 https:// 开头（加密传输）。http://、file:// 等其他地址会让身份证号码明文传输或读取本机文件，"
             "不能使用。")
INCOMPLETE = "比对服务地址不完整，请填写形如 https://比对服务主机名/compare 的地址。"
WITH_CREDENTIALS = "比对服务地址中不能包含用户名或密码；访问令牌由服务器配置（SCREENING_TOKEN）提供。"
NO_CREDENTIALS = "服务器未配置比对服务的访问令牌（SCREENING_TOKEN）或客户端证书，不能向比对服务发送身份证号码。"


def _not_allowed(host: str) -> str:
    return (f"比对服务主机“{host}”不在允许的主机名单中。请联系系统管理员在服务器配置（SCREENING_ALLOWED_HOSTS）"
            "中加入该主机后再填写。")


@dataclass(frozen=True)
class Transport:
    """How the server reaches the comparison service: from the environment, never from the database."""

    allowed_hosts: frozenset[str] = frozenset()
    token: str = ""
    ca_file: str = ""
    client_cert: str = ""
    client_key: str = ""

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Transport:
        env = os.environ if env is None else env
        hosts = frozenset(h.strip().lower() for h in env.get("SCREENING_ALLOWED_HOSTS", "").split(",") if h.strip())
        return cls(hosts, env.get("SCREENING_TOKEN", "").strip(), env.get("SCREENING_CA_FILE", ""),
                   env.get("SCREENING_CLIENT_CERT", ""), env.get("SCREENING_CLIENT_KEY", ""))

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file or None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.client_cert:
            context.load_cert_chain(self.client_cert, self.client_key or None)
        return context


def check_address(url: str, transport: Transport) -> str:
    """The address, stripped, if the server may send ID numbers there; else `FieldError` in Chinese."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise FieldError(INCOMPLETE, field="screening_network_url") from None
    if parts.scheme.lower() != "https":
        raise FieldError(NOT_HTTPS, field="screening_network_url")
    if not host:
        raise FieldError(INCOMPLETE, field="screening_network_url")
    if parts.username is not None or parts.password is not None:
        raise FieldError(WITH_CREDENTIALS, field="screening_network_url")
    if host not in transport.allowed_hosts:
        raise FieldError(_not_allowed(host), field="screening_network_url")
    return url


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an error: the ID number goes to the checked address or nowhere


@dataclass
class NetworkSource:
    url: str
    transport: Transport = field(default_factory=Transport.from_environment)
    timeout: float = 3.0
    retries: int = 1  # extra attempts after the first
    backoff: float = 0.2
    name: str = "公安网比对服务"
    categories: tuple[str, ...] = CATEGORIES

    def _once(self, id_number: str, opener: urllib.request.OpenerDirector) -> Any:
        body = json.dumps({"id_number": id_number}).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.transport.token:
            headers["Authorization"] = f"Bearer {self.transport.token}"
        request = urllib.request.Request(self.url, data=body, method="POST", headers=headers)
        with opener.open(request, timeout=self.timeout) as response:
            return json.loads(response.read(1_000_000).decode("utf-8"))

    def _opener(self) -> urllib.request.OpenerDirector:
        """Refuses (SourceFailed) before anything is sent when the address or the credentials are not right."""
        try:
            check_address(self.url, self.transport)
        except FieldError as refused:
            raise SourceFailed(refused.message) from None
        if not (self.transport.token or self.transport.client_cert):
            raise SourceFailed(NO_CREDENTIALS)
        try:
            context = self.transport.ssl_context()
        except (OSError, ssl.SSLError):
            raise SourceFailed("比对服务的证书配置无法读取（SCREENING_CA_FILE / SCREENING_CLIENT_CERT）") from None
        return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRedirects())

    def check(self, id_number: str) -> list[CategoryResult]:
        opener = self._opener()
        last = ""
        for attempt in range(self.retries + 1):
            try:
                return self._parse(self._once(id_number, opener))
            except (urllib.error.URLError, TimeoutError, OSError) as error:
                last = f"比对服务无法连接或超时（{_why(error)}）"
            except (ValueError, KeyError, TypeError):
                last = "比对服务返回的数据无法识别"
                break  # a malformed answer will not improve by asking again
            if attempt < self.retries:
                time.sleep(self.backoff * (attempt + 1))
        raise SourceFailed(last)

    def _parse(self, data: Any) -> list[CategoryResult]:
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ValueError("no results")
        out: list[CategoryResult] = []
        for item in data["results"]:
            if not isinstance(item, dict) or item.get("category") not in CATEGORIES:
                raise ValueError("bad item")
            hit = item.get("hit")
            if not isinstance(hit, bool):
                raise ValueError("hit must be true or false")
            out.append(CategoryResult(str(item["category"]), Outcome.HIT if hit else Outcome.CLEAR, self.name,
                                      reference=str(item.get("reference") or "")))
        return out


def _why(error: OSError) -> str:
    """Why a request failed, in the administrator's words (never a Python class name)."""
    cause: object = error.reason if isinstance(error, urllib.error.URLError) and not isinstance(
        error, urllib.error.HTTPError) else error
    if isinstance(error, urllib.error.HTTPError):
        return f"服务返回错误，HTTP {error.code}"
    if isinstance(cause, TimeoutError) or "timed out" in str(cause):
        return "等待应答超时"
    if isinstance(cause, ssl.SSLCertVerificationError):
        return "证书校验失败"
    if isinstance(cause, ssl.SSLError):
        return "加密连接失败"
    if isinstance(cause, ConnectionRefusedError):
        return "连接被拒绝"
    if isinstance(cause, socket.gaierror):
        return "地址无法解析"
    return "网络错误"
