"""The network source: a JSON-over-HTTP comparison service on the police network.

Request: POST {"id_number": "..."}; answer: {"results": [{"category": "fugitive", "hit": true,
"reference": "..."}, ...]}. A timeout, an HTTP error or an answer that does not parse gives
SourceFailed, after a bounded number of retries; never a clear.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from flows.screening import CATEGORIES, CategoryResult, Outcome, SourceFailed


@dataclass
class NetworkSource:
    url: str
    timeout: float = 3.0
    retries: int = 1  # extra attempts after the first
    backoff: float = 0.2
    name: str = "公安网比对服务"
    categories: tuple[str, ...] = CATEGORIES

    def _once(self, id_number: str) -> Any:
        body = json.dumps({"id_number": id_number}).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
            return json.loads(response.read(1_000_000).decode("utf-8"))

    def check(self, id_number: str) -> list[CategoryResult]:
        last = ""
        for attempt in range(self.retries + 1):
            try:
                return self._parse(self._once(id_number))
            except (urllib.error.URLError, TimeoutError, OSError) as error:
                last = f"比对服务无法连接或超时（{type(error).__name__}）"
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
