"""Chinese text analysis shared by every backend (中文分词、拼音、同义词、高亮).

Index side: `analyze(doc)` turns a document into token strings — jieba search-mode words
(so 联想台式计算机 yields 联想 / 台式 / 计算机 / 计算 …), full pinyin and initials of each
word (联想 → lianxiang, lx), and the single characters of the title.

Query side: `parse(text)` turns free text into clauses that must all match; each clause
lists alternatives (the word, its search-mode parts, its synonyms, single characters,
pinyin prefixes). The backends translate the clauses into FTS5 or Elasticsearch queries,
so matching is the same everywhere; `highlight()` marks matches in a title.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba
from markupsafe import Markup, escape
from pypinyin import lazy_pinyin

jieba.setLogLevel(logging.WARNING)

DEFAULT_SYNONYMS = Path(__file__).parent / "data" / "synonyms.txt"
TOKEN_RE = re.compile(r"[0-9a-z]+|[\u3400-\u9fff]+")
CJK_RE = re.compile(r"[\u3400-\u9fff]")
PINYIN_RE = re.compile(r"[a-z]{2,}")
STOPWORDS = frozenset({"的", "和", "与", "及", "或"})
MAX_QUERY_WORDS = 12


@lru_cache(maxsize=200_000)
def _chinese_words(run: str, search_mode: bool) -> tuple[str, ...]:
    """jieba words of one run of Chinese characters (runs repeat a lot: cache them)."""
    cut = jieba.cut_for_search if search_mode else jieba.cut
    return tuple(w for w in cut(run) if w.strip())


def _tokens(text: str, *, search_mode: bool) -> list[str]:
    """Lower-cased runs of letters/digits, and jieba words of each run of Chinese."""
    out: list[str] = []
    for run in TOKEN_RE.findall(text.lower()):
        if CJK_RE.match(run):
            out.extend(_chinese_words(run, search_mode))
        else:
            out.append(run)
    return out


@lru_cache(maxsize=200_000)
def index_tokens(text: str) -> str:
    """Space-separated search-mode tokens of `text` (cached: titles repeat a lot)."""
    return " ".join(_tokens(text, search_mode=True))


@lru_cache(maxsize=100_000)
def word_pinyin(word: str) -> tuple[str, str]:
    """(full pinyin, initials) of a Chinese word: 联想 → ("lianxiang", "lx")."""
    syllables = lazy_pinyin(word)
    return "".join(syllables), "".join(s[0] for s in syllables if s)


@lru_cache(maxsize=100_000)
def pinyin_tokens(text: str) -> str:
    """Full pinyin and initials of every Chinese word of `text` and of the whole text."""
    out: list[str] = []
    words = [w for w in _tokens(text, search_mode=False) if CJK_RE.match(w)]
    for word in words:
        out.extend(word_pinyin(word))
    if len(words) > 1:
        joined = "".join(words)
        if len(joined) <= 8:
            out.extend(word_pinyin(joined))
    return " ".join(dict.fromkeys(out))


@lru_cache(maxsize=200_000)
def char_tokens(text: str) -> str:
    return " ".join(dict.fromkeys(CJK_RE.findall(text)))


def analyze(doc: dict) -> dict[str, str]:
    """The token fields every backend indexes for one document."""
    title = doc["title"]
    head = f"{doc['brand']} {doc['product_name']}"
    body_parts = [doc["brand"], doc["model"], doc["product_name"], doc["supplier_name"],
                  *doc["category_path_names"], *[str(v) for v in doc["specs"].values()]]
    return {
        "title_tokens": index_tokens(title),
        "body_tokens": " ".join(index_tokens(p) for p in body_parts if p),
        "pinyin": " ".join(p for p in (pinyin_tokens(title), pinyin_tokens(head),
                                       pinyin_tokens(doc["category_name"])) if p),
        "chars": char_tokens(f"{title} {doc['brand']} {doc['category_name']}"),
    }


class Synonyms:
    """Groups of interchangeable words (电脑 = 计算机), one comma-separated group a line."""

    def __init__(self, groups: list[list[str]]):
        self.groups = groups
        self._of: dict[str, list[str]] = {}
        for group in groups:
            for word in group:
                self._of.setdefault(word, []).extend(w for w in group if w != word)
                jieba.add_word(word)  # keep configured words whole when segmenting
        for cached in (_chinese_words, index_tokens, pinyin_tokens, char_tokens):
            cached.cache_clear()

    @classmethod
    def from_file(cls, path: str | Path | None) -> Synonyms:
        path = Path(path) if path else DEFAULT_SYNONYMS
        groups = []
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            words = [w.strip().lower() for w in re.split(r"[,，=]", line) if w.strip()]
            if len(words) > 1:
                groups.append(words)
        return cls(groups)

    def of(self, word: str) -> list[str]:
        return self._of.get(word, [])


@dataclass(frozen=True)
class Alt:
    """One way a clause can match: all `tokens` in `field` (text = title or body), and
    all `chars` among the title's characters."""

    field: str  # text | chars | pinyin
    tokens: tuple[str, ...]
    prefix: bool = False
    chars: tuple[str, ...] = ()  # single characters that must also be in `chars`


Clause = tuple[Alt, ...]


def _pieces(word: str) -> list[Alt]:
    """A long word the index may have segmented differently (台式机 in 台式计算机): its
    search-mode parts, and the characters no part covers, must all be present."""
    parts = {p for p in _tokens(word, search_mode=True) if p != word and len(p) >= 2}
    if not parts:
        return []
    words, chars, i = [], [], 0
    while i < len(word):
        best = max((p for p in parts if word.startswith(p, i)), key=len, default=None)
        if best:
            words.append(best)
            i += len(best)
        else:
            chars.append(word[i])
            i += 1
    if not words:
        return []
    return [Alt("text", tuple(words), chars=tuple(chars))]


def parse(text: str, synonyms: Synonyms) -> list[Clause]:
    """Free text → clauses that must all match, each a tuple of alternatives."""
    clauses: list[Clause] = []
    seen: set[str] = set()
    for word in _tokens(text.strip(), search_mode=False):
        if word in seen or word in STOPWORDS:
            continue
        seen.add(word)
        alts: list[Alt] = [Alt("text", (word,))]
        if CJK_RE.match(word):
            if len(word) == 1:
                alts.append(Alt("chars", (word,)))
            elif len(word) >= 3:
                alts.extend(_pieces(word))
        elif PINYIN_RE.fullmatch(word):
            alts.append(Alt("pinyin", (word,), prefix=True))
        for other in synonyms.of(word):
            tokens = tuple(_tokens(other, search_mode=False))
            if tokens:
                alts.append(Alt("text", tokens))
        clauses.append(tuple(dict.fromkeys(alts)))
        if len(clauses) >= MAX_QUERY_WORDS:
            break
    return clauses


def highlight(title: str, clauses: list[Clause]) -> Markup:
    """The title with every matched word wrapped in <mark> (HTML-escaped otherwise)."""
    if not clauses:
        return escape(title)
    terms: set[str] = set()
    prefixes: list[str] = []
    for clause in clauses:
        for alt in clause:
            if alt.field == "pinyin":
                prefixes.extend(alt.tokens)
            else:
                terms.update(alt.tokens)
                terms.update(alt.chars)
    if prefixes:  # mark the Chinese words whose pinyin or initials start with the query
        for word in _tokens(title, search_mode=False):
            if CJK_RE.match(word):
                full, initials = word_pinyin(word)
                if any(full.startswith(p) or initials.startswith(p) for p in prefixes):
                    terms.add(word)
    terms = {t for t in terms if t}
    if not terms:
        return escape(title)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)),
                         re.IGNORECASE)
    out, last = [], 0
    for m in pattern.finditer(title):
        out.append(escape(title[last:m.start()]))
        out.append(Markup("<mark>") + escape(m.group(0)) + Markup("</mark>"))
        last = m.end()
    out.append(escape(title[last:]))
    return Markup(str(Markup("").join(out)).replace("</mark><mark>", ""))


def parse_prefix(text: str, synonyms: Synonyms) -> list[Clause]:
    """Like `parse`, but the last word is still being typed: it matches as a prefix."""
    clauses = parse(text, synonyms)
    words = _tokens(text.strip(), search_mode=False)
    if not clauses or not words:
        return clauses
    last = words[-1]
    alts = [Alt("text", (last,), prefix=True)]
    if PINYIN_RE.fullmatch(last):
        alts.append(Alt("pinyin", (last,), prefix=True))
    return [*clauses[:-1], tuple(alts)]


def suggestions(docs: list[dict], limit: int = 8) -> list[str]:
    """Completions from the best-matching documents: "brand category" pairs, categories
    and brands, most frequent first."""
    counts: dict[str, int] = {}
    for doc in docs:
        for key in (f"{doc['brand']} {doc['category_name']}", doc["category_name"],
                    doc["brand"]):
            counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [k for k, _ in ranked[:limit]]


def make_hit(doc: dict, clauses: list[Clause], today, *, slot: bool = False):
    """A result entry: highlighted title and, for priority slots, why it is there."""
    from search.query import Hit, is_green_on

    priority = []
    if slot:
        if is_green_on(doc, today):
            priority.append("green")
        if doc["is_832"]:
            priority.append("832")
    return Hit(doc=doc, highlight=str(highlight(doc["title"], clauses)), priority=priority)
