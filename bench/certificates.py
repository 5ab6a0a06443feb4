"""Certificate generation: time per certificate in a warm and a cold process, and file size.

Each figure comes with its ratio to a baseline measured in the same run on the same machine: a
one-line fpdf2 PDF in a core font (Helvetica, nothing embedded). A certificate here is what an
approval issues: the claim signed (Ed25519), the filing certificate laid out with the Chinese font
subset embedded and the QR code drawn (flows/documents/render.py, flows/documents/signing.py).

    python -m bench.certificates [--warm N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

TARGET_WARM_MS = 200.0
TARGET_SIZE_KB = 100.0
REPO = Path(__file__).resolve().parent.parent

# Run in a fresh interpreter: everything from the first import to the finished bytes.
_COLD = """
import json, sys, time
start = time.perf_counter()
sys.path.insert(0, {repo!r})
from bench.certificates import {func}
data = {func}(0)
print(json.dumps({{"seconds": time.perf_counter() - start, "size": len(data)}}))
"""


def baseline_pdf(seq: int) -> bytes:
    """One line of Latin text in a core font: the least fpdf2 can do."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, f"Certificate {seq}")
    return bytes(pdf.output())


def certificate_pdf(seq: int) -> bytes:
    """A kind-C filing certificate as issued on approval: signed claim, Chinese text, seal, QR code."""
    from flows.documents import render as documents
    from flows.documents import signing

    code = f"BENCH{seq:021d}"[:26]
    number = f"650100备〔2026〕{seq + 1:05d}号"
    unit, credit = "乌鲁木齐安居物业服务有限公司", "91650100MA77TEB291"
    issued = date(2026, 11, 27)
    claim = signing.Claim(code=code, number=number, unit_name=unit, credit_code=credit, kind="C", issued_on=issued)
    url = f"https://baoan.example.gov.cn/verify?code={code}&sig={signing.sign(claim)}"
    issuer = documents.Issuer(organ="乌鲁木齐市公安局", undertaker="乌鲁木齐市公安局治安管理支队",
                              province="新疆维吾尔自治区", seal="乌鲁木齐市公安局")
    spec = documents.certificate(
        title="自行招用保安员单位备案证明", number=number, issuer=issuer, issued_on=issued, addressee=None,
        paragraphs=[f"{unit}（统一社会信用代码：{credit}）自行招用保安员单位备案材料齐全，符合规定，准予备案。"],
        table=[("备案编号", number), ("单位名称", unit), ("统一社会信用代码", credit),
               ("单位地址", "新疆维吾尔自治区乌鲁木齐市天山区幸福路18号"),
               ("守护区域", "乌鲁木齐市天山区幸福路18号安居小区（约3.2万平方米）"),
               ("开始保安服务日期", "2026年10月15日"), ("保安员人数", "12人"), ("备案日期", "2026年11月27日"),
               ("办件编号", f"C20261127{seq + 1:06d}")],
        verification_code=code, verify_url=url)
    return documents.render(spec)


def warm(func_name: str, runs: int) -> tuple[float, int]:
    """Median seconds per document after one warm-up in this process, and the size."""
    func = globals()[func_name]
    data = func(0)
    times = []
    for seq in range(1, runs + 1):
        start = time.perf_counter()
        data = func(seq)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(data)


def cold(func_name: str, runs: int) -> tuple[float, float]:
    """Median (first document in a fresh process, whole process wall time), each over `runs` processes."""
    inside, wall = [], []
    with tempfile.TemporaryDirectory() as data_dir:  # a fresh signing key made there, not the real one
        env = dict(os.environ, DATA_DIR=data_dir, KEYS_DIR=str(Path(data_dir) / "keys"), PYTHONPATH=str(REPO))
        env.pop("CERT_SIGNING_KEY_FILE", None)
        for _ in range(runs):
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", _COLD.format(repo=str(REPO), func=func_name)],
                                 capture_output=True, text=True, check=True, env=env, cwd=REPO)
            wall.append(time.perf_counter() - start)
            inside.append(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])
    return statistics.median(inside), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=20, help="documents timed in the warm process")
    parser.add_argument("--cold", type=int, default=3, help="fresh processes timed")
    args = parser.parse_args()

    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="bench-certificates-"))
    base_warm, base_size = warm("baseline_pdf", args.warm)
    cert_warm, cert_size = warm("certificate_pdf", args.warm)
    base_cold, base_wall = cold("baseline_pdf", args.cold)
    cert_cold, cert_wall = cold("certificate_pdf", args.cold)

    def row(what: str, base: float, cert: float, unit: str, scale: float) -> None:
        print(f"{what:<42} {base * scale:>10.1f} {unit:<3} {cert * scale:>10.1f} {unit:<3} {cert / base:>8.1f}x")

    print(f"{'':<42} {'baseline':>14} {'certificate':>14} {'ratio':>9}")
    row(f"warm: per document (median of {args.warm})", base_warm, cert_warm, "ms", 1000)
    row(f"cold: first document, fresh process ({args.cold})", base_cold, cert_cold, "ms", 1000)
    row("cold: whole process wall time", base_wall, cert_wall, "ms", 1000)
    row("file size", base_size, cert_size, "KB", 1 / 1024)
    met = cert_warm * 1000 < TARGET_WARM_MS and cert_size / 1024 < TARGET_SIZE_KB
    print(f"target: certificate under {TARGET_WARM_MS:.0f} ms warm and under {TARGET_SIZE_KB:.0f} KB: "
          f"{cert_warm * 1000:.0f} ms, {cert_size / 1024:.1f} KB -> {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
