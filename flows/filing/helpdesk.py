"""“用自己的话提问”: answer a free-text question by quoting the instruction texts, offline.

The offline `InstructionIndex` ranks passages of the filings' instructions (every field of
`Instructions`, every FAQ pair and the material hints) with BM25 over jieba words plus
character bigrams, and quotes the best passage with its source. Below a threshold it says
plainly that nothing matched and gives the phone number of the responsible office.

Callers depend on the `Helpdesk` protocol only, so a language model could answer instead.
"""

from __future__ import annotations

import logging
import math
import os
import re
import stat
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import jieba

from flows.config import get_config
from flows.errors import DomainError
from flows.filing.schema import Filing
from flows.kinds import all_filings

jieba.setLogLevel(logging.WARNING)


def private_cache_dir() -> Path:
    """Where jieba keeps its dictionary cache: `<DATA_DIR>/cache/jieba`, owner-only (0700) and owned by this
    process's user. jieba loads its cache with `marshal`; in the shared temp directory (its default) anyone on
    the machine could plant one. A folder that is not ours or not private is not used: a fresh private
    temporary one is (the cache is then rebuilt, about a second)."""
    base = Path(os.environ.get("DATA_DIR") or Path(__file__).resolve().parents[2] / "data" / "runtime")
    folder = base / "cache" / "jieba"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077 == 0:
            return folder
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="jieba-"))


@cache
def _jieba_ready() -> None:
    jieba.dt.tmp_dir = str(private_cache_dir())
    jieba.initialize()

# Labels of the instruction fields, in reading order.
FIELD_LABELS: tuple[tuple[str, str], ...] = (
    ("who", "适用对象"),
    ("when", "办理时间"),
    ("materials_note", "所需材料"),
    ("process", "办理流程"),
    ("time_limit", "办理时限"),
    ("result", "办理结果"),
    ("basis", "办理依据"),
)
FAQ_LABEL = "常见问题"
MATERIAL_LABEL = "材料说明"

KIND_BOOST = 1.8  # passages of the filing the applicant is working on (1.3 let a shorter passage of another kind win)
THRESHOLD = 3.8  # below this score nothing is said to match (tuned on tests/unit/test_helpdesk.py)
LABEL_WEIGHT = 2
MAX_QUESTION_CHARS = 200
SYNONYM_WEIGHT = 0.8  # a word added for the sake of the applicant's word counts less than the word itself
BM25_K1 = 1.5
BM25_B = 0.5  # mild length normalisation: long instruction fields are not to lose to short hints

# Words that carry no meaning for matching.
_STOP_WORDS = frozenset(
    {
        *"的了吗呢吧啊呀么嘛哦和与及或之",
        "是", "在", "有", "也", "就", "都", "还", "能", "会", "可", "要", "请", "把", "被", "给", "让", "对",
        "从", "向", "到", "于", "其", "为", "以", "并", "等", "自", "个", "这", "那", "我", "你", "您", "他",
        "她", "它", "们", "啥", "怎", "么", "得", "着", "过", "又", "再", "才", "该", "应", "将", "如", "若",
        "我们", "你们", "他们", "我的", "这个", "那个", "怎么", "怎么样", "怎样", "如何", "什么", "为什么",
        "是否", "可以", "能否", "能不能", "可不可以", "是不是", "请问", "一下", "还是", "应该", "应当", "需不需要",
        "什么样", "哪些", "哪里", "哪儿", "现在", "已经", "还能", "一个", "有没有", "没有", "不是",
    }
)
_STOP_CHARS = frozenset(w for w in _STOP_WORDS if len(w) == 1)  # a bigram with one of these is noise
# Everyday words mapped to the words the instruction texts use; added to the question's terms.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "多久": ("时限", "工作日"),
    "多长": ("时限", "工作日"),
    "几天": ("时限", "工作日"),
    "多少天": ("时限", "工作日"),
    "时候": ("时间", "之前", "之日起"),
    "何时": ("时间", "之前", "之日起"),
    "办好": ("完成", "办结"),
    "办完": ("完成", "办结"),
    "天": ("日",),
    "填": ("填写",),
    "盖章": ("公章",),
    "章": ("盖章", "公章"),
    "公章": ("盖章",),
    "身份证": ("居民身份证",),
    "资料": ("材料", "所需"),
    "材料": ("所需",),
    "交": ("上传", "所需"),
    "要交": ("上传", "所需"),
    "准备": ("所需", "材料"),
    "带": ("上传", "材料"),
    "多大": ("mb",),
    "大小": ("mb",),
    "限制": ("mb",),
    "提交": ("上传",),
    "证书": ("证明",),
    "逾期": ("超过",),
    "超期": ("超过",),
    "晚": ("超过",),
    "过期": ("超过",),
    "表格": ("Excel", "模板"),
    "表": ("Excel", "模板"),
    "注销": ("撤销",),
    "不招": ("撤销", "停止"),
    "规定": ("依据", "条例"),
    "法律": ("依据", "条例"),
    "法规": ("依据", "条例"),
    "谁": ("适用",),
    "条件": ("经历",),
    "审批": ("审核",),
    "流程": ("受理",),
    "步骤": ("流程", "受理"),
    "excel": ("模板",),
}
_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[0-9a-z\u3400-\u9fff]")
_MIXED = re.compile(r"(?=.*[0-9])(?=.*[a-z])[0-9a-z]+")
_ALNUM_PART = re.compile(r"[0-9]+|[a-z]+")


@dataclass(frozen=True)
class Passage:
    """A piece of an instruction text that can be quoted on its own."""

    kind: str
    source: str  # e.g. "《自行招用保安员单位备案网上操作须知》·办理流程"
    text: str


@dataclass(frozen=True)
class Reply:
    """What the helpdesk says: the passage it quotes (None when nothing matched) and the full reply."""

    passage: Passage | None
    score: float
    text: str


class Helpdesk(Protocol):
    def answer(self, question: str, *, kind: str | None, region_code: str | None) -> Reply:
        """Answer a question asked in the applicant's own words."""
        ...


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def tokenize(text: str) -> list[str]:
    """Words (jieba, search mode) plus character bigrams of Chinese runs, without stop words."""
    text = _normalise(text)
    _jieba_ready()
    words = [w.strip() for w in jieba.lcut_for_search(text)]
    terms = [w for w in words if w and w not in _STOP_WORDS and _WORD.search(w)]
    terms += [part for w in terms if _MIXED.fullmatch(w) for part in _ALNUM_PART.findall(w)]  # "10mb" -> 10, mb
    known = set(terms)
    for run in _CJK.findall(text):
        for i in range(len(run) - 1):
            pair = run[i : i + 2]
            if pair not in known and not (set(pair) & _STOP_CHARS) and pair not in _STOP_WORDS:
                terms.append(pair)
    return terms


def query_terms(question: str) -> dict[str, float]:
    """The question's terms with their weights: its own words 1, words added for its words' sake less."""
    terms = tokenize(question)
    weights = {t: 1.0 for t in terms}
    for term in terms:
        for synonym in _SYNONYMS.get(term, ()):
            weights.setdefault(_normalise(synonym), SYNONYM_WEIGHT)
    return weights


def filing_passages(filing: Filing) -> list[Passage]:
    """Every instruction field, every FAQ pair and every material hint of one filing."""
    book = f"《{filing.title}网上操作须知》"
    passages = [
        Passage(filing.kind, f"{book}·{label}", getattr(filing.instructions, name))
        for name, label in FIELD_LABELS
    ]
    passages += [
        Passage(filing.kind, f"{book}·{FAQ_LABEL}", f"问：{q} 答：{a}") for q, a in filing.instructions.faq
    ]
    passages += [
        Passage(filing.kind, f"{book}·{MATERIAL_LABEL}",
                f"{m.label}：{m.hint}{'' if m.required else '（选交）'}")
        for m in filing.materials
        if m.hint
    ]
    return passages


class _BM25:
    """Okapi BM25 over pre-tokenised documents."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.counts = [Counter(d) for d in documents]
        self.lengths = [len(d) for d in documents]
        self.average = sum(self.lengths) / max(len(documents), 1)
        frequency: Counter[str] = Counter(t for d in documents for t in set(d))
        n = len(documents)
        self.idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}

    def scores(self, terms: Mapping[str, float]) -> list[float]:
        """One score per document; `terms` maps each query term to its weight."""
        known = [(t, w * self.idf[t]) for t, w in terms.items() if t in self.idf]
        result: list[float] = []
        for counts, length in zip(self.counts, self.lengths, strict=True):
            norm = BM25_K1 * (1 - BM25_B + BM25_B * length / self.average)
            score = 0.0
            for term, weight in known:
                tf = counts.get(term, 0)
                if tf:
                    score += weight * tf * (BM25_K1 + 1) / (tf + norm)
            result.append(score)
        return result


def contact_line(region_code: str | None) -> str:
    """“您可以拨打…电话 … 咨询。” for the prefecture of `region_code`, else the province."""
    config = get_config()
    contact = config.contacts["province"]
    if region_code:
        try:
            contact = config.contact_for(region_code)
        except DomainError:  # unknown region code: the province answers
            pass
    name = contact.name
    if contact == config.contacts["province"] and config.corps.endswith(name):
        name = config.corps  # "治安管理总队" alone does not say whose
    return f"您可以拨打{name}电话 {contact.phone} 咨询。"


class InstructionIndex:
    """The offline helpdesk: BM25 over the instruction passages of all filings."""

    def __init__(self, passages: Sequence[Passage], *, threshold: float = THRESHOLD) -> None:
        self.passages = tuple(passages)
        self.threshold = threshold
        # The source label (e.g. 办理时限) is searchable too, weighted as if written LABEL_WEIGHT times;
        # the book title is not: it names a filing, and the kind preference already covers that.
        self._bm25 = _BM25([
            tokenize(p.source.split("·")[-1]) * LABEL_WEIGHT + tokenize(p.text) for p in self.passages
        ])

    @classmethod
    def from_filings(cls, filings: Iterable[Filing]) -> InstructionIndex:
        return cls([p for f in filings for p in filing_passages(f)])

    def search(self, question: str, *, kind: str | None = None) -> list[tuple[float, Passage]]:
        """Passages by descending score (kind-preferred), ties in definition order."""
        terms = query_terms(question[:MAX_QUESTION_CHARS])
        if not terms:
            return []
        scored = [
            (score * (KIND_BOOST if kind is not None and p.kind == kind else 1.0), p)
            for score, p in zip(self._bm25.scores(terms), self.passages, strict=True)
        ]
        order = sorted(range(len(scored)), key=lambda i: (-scored[i][0], i))
        return [scored[i] for i in order if scored[i][0] > 0]

    def answer(self, question: str, *, kind: str | None, region_code: str | None) -> Reply:
        if not question.strip():
            return Reply(None, 0.0, "请用一句话写下您的问题，例如“需要盖章吗？”。")
        found = self.search(question, kind=kind)
        if not found or found[0][0] < self.threshold:
            best = found[0][0] if found else 0.0
            return Reply(None, best, f"抱歉，办事须知中没有找到与您问题相关的内容。{contact_line(region_code)}")
        score, passage = found[0]
        return Reply(passage, score, f"根据{passage.source}：“{passage.text}”")


@cache
def get_helpdesk() -> Helpdesk:
    """The helpdesk the pages use, built once from all filings."""
    return InstructionIndex.from_filings(all_filings().values())
