"""The embedded backend (内置检索): SQLite FTS5 in its own files under instance/search/.

Layout of one index file:
- `docs`: one row per offer with the filter / sort / facet columns (integers and short
  keys, indexed for browsing without text) and the document itself as JSON;
- `fts`: an FTS5 table over pre-segmented tokens (jieba search mode; columns title, body,
  pinyin, chars), rowid = offer id, ranked with bm25.

A query materialises its matching offers once into a per-connection temporary table
`hits` (only the small columns), then computes everything from it: facet counts (one pass
of conditional sums plus a GROUP BY per keyed facet), the priority slots, and one page of
product groups with SQLite's MIN()/MAX() bare-column rule picking each product's
representative offer. No query scans the index more than once.

Zero-downtime rebuild: a full reindex writes a new file `index-<stamp>.sqlite` and then
atomically replaces the pointer file `CURRENT`; connections notice the new pointer on
their next query and reopen. Each connection belongs to one thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from search import analysis
from search.analysis import Clause, Synonyms
from search.backend import SearchUnavailable
from search.query import (
    PRICE_BUCKETS,
    SIZES,
    Facets,
    Group,
    SearchQuery,
    SearchResult,
    bucket_key,
    date_int,
    price_cents,
)

SCHEMA_VERSION = 3  # bump when the layout changes: older files are replaced by empty ones
SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    offer_id INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL,
    category_code TEXT NOT NULL,
    brand TEXT NOT NULL,
    price INTEGER NOT NULL,
    size TEXT NOT NULL,
    is_832 INTEGER NOT NULL,
    energy INTEGER NOT NULL,
    env INTEGER NOT NULL,
    green INTEGER NOT NULL,
    mandatory INTEGER NOT NULL,
    stock INTEGER NOT NULL,
    sales INTEGER NOT NULL,
    created TEXT NOT NULL,
    province TEXT NOT NULL,
    county TEXT NOT NULL,
    regions TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payload (
    offer_id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, body, pinyin, chars, tags, tokenize = 'unicode61 remove_diacritics 0');
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS docs_category ON docs (category_code);
CREATE INDEX IF NOT EXISTS docs_832 ON docs (is_832, province, county);
CREATE INDEX IF NOT EXISTS docs_green ON docs (green);
CREATE INDEX IF NOT EXISTS docs_brand ON docs (brand);
"""
HITS = """
CREATE TEMP TABLE IF NOT EXISTS hits (
    offer_id INTEGER PRIMARY KEY, product_id INTEGER, score INTEGER, price INTEGER,
    sales INTEGER, created TEXT, category_code TEXT, brand TEXT, size TEXT, is_832 INTEGER,
    green INTEGER, energy INTEGER, env INTEGER, in_stock INTEGER, deliver INTEGER,
    province TEXT, county TEXT)
"""
# Work limit: a query materialises at most this many matching offers (title matches first,
# newest first), like Elasticsearch's default track_total_hits; facets and groups are
# computed over them and the result says when the limit was reached.
MAX_HITS = 5_000
# Relevance (综合排序): offers matching every word in the title rank before offers matching
# elsewhere (brand, model, specs, category path, supplier); then the best-selling first.
TIER = 1_000_000_000
GROUP_ORDER = {  # sort → (aggregate over the product's offers, direction)
    "relevance": ("MIN(score)", "ASC"),
    "price_asc": ("MIN(price)", "ASC"),
    "price_desc": ("MAX(price)", "DESC"),
    "sales": ("MAX(sales)", "DESC"),
    "newest": ("MAX(created)", "DESC"),
}
BATCH = 5000


def _ranked(counts: dict[str, int], limit: int | None = None) -> dict[str, int]:
    """Most frequent first, then by key; at most `limit` entries."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return dict(items[:limit] if limit else items)


def _fts_expression(clauses: list[Clause], *, title_only: bool = False) -> str:
    text_column = "title" if title_only else "{title body}"
    parts = []
    for clause in clauses:
        alts = []
        for alt in clause:
            column = text_column if alt.field == "text" else alt.field
            terms = [f'{column} : "{t}"' + (" *" if alt.prefix else "") for t in alt.tokens]
            terms += [f'chars : "{c}"' for c in alt.chars]
            alts.append(terms[0] if len(terms) == 1 else "(" + " AND ".join(terms) + ")")
        parts.append("(" + " OR ".join(alts) + ")")
    return " AND ".join(parts)


def _row(doc: dict) -> tuple:
    energy, env = date_int(doc["energy_until"]), date_int(doc["environment_until"])
    return (doc["id"], doc["product_id"], doc["category_code"], doc["brand"],
            price_cents(doc["price"]), doc["supplier_size"], int(doc["is_832"]), energy, env,
            max(energy, env), int(doc["mandatory_green"]), doc["stock"], doc["sales_count"],
            doc["created_at"], doc["province_code"], doc["region_code"],
            "," + ",".join(doc["delivery_regions"]) + ",")


def _payload_row(doc: dict) -> tuple:
    return (doc["id"], doc["digest"], json.dumps(doc, separators=(",", ":")))


def _tags(doc: dict) -> str:
    """Flags the FTS index can exclude or require without reading `docs` row by row:
    `hidden` — a mandatory-green category and no certificate at all (buyers never see it);
    `s832` — an 832 supplier; `c<code>` — the category; `r<prefix>` / `rall` — delivery
    regions. The exact filters in `docs` still apply afterwards."""
    tags = [f"c{doc['category_code'].lower()}"]
    tags += ["rall" if r == "*" else f"r{r}" for r in doc["delivery_regions"]]
    if doc["mandatory_green"] and not (doc["energy_until"] or doc["environment_until"]):
        tags.append("hidden")
    if doc["is_832"]:
        tags.append("s832")
    return " ".join(tags)


def _fts_row(doc: dict) -> tuple:
    tokens = analysis.analyze(doc)
    return (doc["id"], tokens["title_tokens"], tokens["body_tokens"], tokens["pinyin"],
            tokens["chars"], _tags(doc))


INSERT_DOC = "INSERT OR REPLACE INTO docs VALUES (" + ",".join("?" * 17) + ")"
INSERT_PAYLOAD = "INSERT OR REPLACE INTO payload VALUES (?, ?, ?)"
INSERT_FTS = "INSERT INTO fts (rowid, title, body, pinyin, chars, tags) VALUES (?, ?, ?, ?, ?, ?)"


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, directory: str | Path, *, synonyms: Synonyms | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.synonyms = synonyms or Synonyms.from_file(None)
        self._local = threading.local()
        self._pointer = self.directory / "CURRENT"
        if not self._pointer.exists() or not self._current_is_usable():
            self._point_to(self._empty_index())

    def _current_is_usable(self) -> bool:
        """An index file of an older layout is replaced by an empty one (reindex to fill)."""
        path = self.directory / self._current_name()
        if not path.exists():
            return False
        conn = sqlite3.connect(path)
        try:
            return conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        finally:
            conn.close()

    def _empty_index(self) -> str:
        name = self._new_file_name()
        conn = self._open(self.directory / name, create=True)
        conn.executescript(INDEXES)
        conn.close()
        return name

    # --- files and connections --------------------------------------------------------

    def _new_file_name(self) -> str:
        return f"index-{time.time_ns()}-{os.getpid()}.sqlite"

    def _point_to(self, name: str) -> None:
        tmp = self.directory / f"CURRENT.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(name, encoding="utf-8")
        os.replace(tmp, self._pointer)

    def _current_name(self) -> str:
        return self._pointer.read_text(encoding="utf-8").strip()

    @staticmethod
    def _open(path: Path, *, create: bool = False) -> sqlite3.Connection:
        """Open an index file; only new files are created (a file removed after two quick
        rebuilds must not come back empty)."""
        mode = "rwc" if create else "rw"
        conn = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, isolation_level=None,
                               check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-32768")
        conn.execute("PRAGMA mmap_size=4294967296")  # read through the OS page cache
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            conn.executescript(SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute(HITS)
        return conn

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection to the current index file (reopened after a swap)."""
        local = self._local
        stamp = self._pointer.stat().st_mtime_ns
        if getattr(local, "stamp", None) != stamp:
            for _attempt in range(3):  # the pointer may move on while we open the file
                name = self._current_name()
                if getattr(local, "name", None) == name:
                    break
                try:
                    conn = self._open(self.directory / name)
                except sqlite3.OperationalError:
                    continue
                if getattr(local, "conn", None) is not None:
                    local.conn.close()
                local.conn, local.name = conn, name
                break
            if getattr(local, "conn", None) is None:
                raise SearchUnavailable("检索索引文件不存在，请运行 mall reindex")
            local.stamp = stamp
        return local.conn

    def close(self) -> None:
        if getattr(self._local, "conn", None) is not None:
            self._local.conn.close()
            self._local.conn = None
            self._local.name = self._local.stamp = None

    # --- writing ------------------------------------------------------------------------

    @staticmethod
    def _write(conn: sqlite3.Connection, docs: list[dict], *, replace: bool) -> None:
        if replace:
            conn.executemany("DELETE FROM fts WHERE rowid = ?", [(d["id"],) for d in docs])
        conn.executemany(INSERT_DOC, [_row(d) for d in docs])
        conn.executemany(INSERT_PAYLOAD, [_payload_row(d) for d in docs])
        conn.executemany(INSERT_FTS, [_fts_row(d) for d in docs])

    def index(self, docs: list[dict]) -> None:
        if not docs:
            return
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._write(conn, docs, replace=True)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def delete(self, offer_ids: list[int]) -> None:
        if not offer_ids:
            return
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = [(i,) for i in offer_ids]
            conn.executemany("DELETE FROM fts WHERE rowid = ?", rows)
            conn.executemany("DELETE FROM docs WHERE offer_id = ?", rows)
            conn.executemany("DELETE FROM payload WHERE offer_id = ?", rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def reindex(self, chunks: Iterable[list[dict]]) -> int:
        name = self._new_file_name()
        path = self.directory / name
        conn = self._open(path, create=True)
        count = 0
        try:
            conn.execute("BEGIN")
            for docs in chunks:
                for start in range(0, len(docs), BATCH):
                    batch = docs[start:start + BATCH]
                    self._write(conn, batch, replace=False)
                    count += len(batch)
            conn.execute("COMMIT")
            conn.executescript(INDEXES)
            conn.execute("INSERT INTO fts (fts) VALUES ('optimize')")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("ANALYZE")
        except BaseException:
            conn.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            raise
        conn.close()
        old = self._current_name()
        self._point_to(name)
        self._remove_old(keep={name, old})
        return count

    def _remove_old(self, keep: set[str]) -> None:
        """Drop index files older than the previous one (readers may still use that)."""
        for path in self.directory.glob("index-*.sqlite*"):
            base = path.name.split(".sqlite")[0] + ".sqlite"
            if base not in keep:
                path.unlink(missing_ok=True)

    # --- reading ------------------------------------------------------------------------

    def count(self) -> int:
        return self._conn().execute("SELECT count(*) FROM docs").fetchone()[0]

    def digests(self) -> dict[int, str]:
        return dict(self._conn().execute("SELECT offer_id, digest FROM payload"))

    def _filters(self, q: SearchQuery) -> tuple[list[str], dict]:
        where: list[str] = []
        params: dict = {"today": date_int(q.today)}
        if q.category_codes is not None:
            codes = list(q.category_codes) or ["-"]
            names = [f":cat{i}" for i in range(len(codes))]
            where.append(f"d.category_code IN ({','.join(names)})")
            params.update({f"cat{i}": c for i, c in enumerate(codes)})
        if q.brands:
            names = [f":brand{i}" for i in range(len(q.brands))]
            where.append(f"d.brand IN ({','.join(names)})")
            params.update({f"brand{i}": b for i, b in enumerate(q.brands)})
        if q.price_min is not None:
            where.append("d.price >= :pmin")
            params["pmin"] = price_cents(q.price_min)
        if q.price_max is not None:
            where.append("d.price <= :pmax")
            params["pmax"] = price_cents(q.price_max)
        if q.sizes:
            names = [f":size{i}" for i in range(len(q.sizes))]
            where.append(f"d.size IN ({','.join(names)})")
            params.update({f"size{i}": s for i, s in enumerate(q.sizes)})
        if q.only_832:
            where.append("d.is_832 = 1")
        if q.green:
            where.append("d.green >= :today")
        if q.cert_kind == "energy":
            where.append("d.energy >= :today")
        elif q.cert_kind == "environment":
            where.append("d.env >= :today")
        if q.region:
            where.append(self._deliver_sql())
            params.update(self._region_params(q.region))
        if q.in_stock:
            where.append("d.stock > 0")
        if q.province:
            where.append("d.is_832 = 1 AND d.province = :province")
            params["province"] = q.province
        if q.county:
            where.append("d.is_832 = 1 AND d.county = :county")
            params["county"] = q.county
        if q.hide_uncertified_mandatory:
            where.append("(d.mandatory = 0 OR d.green >= :today)")
        return where, params

    @staticmethod
    def _with_tags(expr: str, q: SearchQuery) -> str:
        if q.category_codes:
            codes = " OR ".join(f'"c{c.lower()}"' for c in q.category_codes)
            expr = f"({expr}) AND tags : ({codes})"
        if q.region:
            regions = ["rall", f"r{q.region[:2]}", f"r{q.region[:4]}", f"r{q.region}"]
            expr = f"({expr}) AND tags : ({' OR '.join(regions)})"
        if q.only_832 or q.province or q.county:
            expr = f'({expr}) AND tags : "s832"'
        if q.hide_uncertified_mandatory:
            expr = f'({expr}) NOT tags : "hidden"'
        return expr

    @staticmethod
    def _deliver_sql() -> str:
        return ("(instr(d.regions, ',*,') OR instr(d.regions, :r2) OR instr(d.regions, :r4)"
                " OR instr(d.regions, :r6))")

    @staticmethod
    def _region_params(region: str) -> dict:
        return {"r2": f",{region[:2]},", "r4": f",{region[:4]},", "r6": f",{region},"}

    def _collect(self, conn: sqlite3.Connection, q: SearchQuery, clauses: list[Clause]
                 ) -> bool:
        """Fill temp.hits with at most MAX_HITS matching offers; True when more matched."""
        where, params = self._filters(q)
        deliver = self._deliver_sql() if q.region else "0"
        if q.region:
            params.update(self._region_params(q.region))
        columns = (f"d.offer_id, d.product_id, {{tier}} * {TIER} - d.sales, d.price, d.sales, "
                   f"d.created, d.category_code, d.brand, d.size, d.is_832, d.green >= :today, "
                   f"d.energy >= :today, d.env >= :today, d.stock > 0, {deliver}, d.province, "
                   f"d.county")
        filters = "".join(f" AND {w}" for w in where)
        conn.execute("DELETE FROM temp.hits")
        if not clauses:
            sql = (f"INSERT INTO temp.hits SELECT {columns.format(tier=0)} FROM docs d "
                   f"WHERE 1{filters} ORDER BY d.offer_id DESC LIMIT :limit")
            return conn.execute(sql, {**params, "limit": MAX_HITS + 1}).rowcount > MAX_HITS
        taken = 0
        in_title = _fts_expression(clauses, title_only=True)
        # Tier 0: every word in the title; tier 1: the other matches (FTS5 subtracts the
        # title matches itself, so no offer is looked up twice).
        tiers = (in_title, f"({_fts_expression(clauses)}) NOT ({in_title})")
        for tier, expr in enumerate(tiers):
            expr = self._with_tags(expr, q)
            sql = (f"INSERT INTO temp.hits SELECT {columns.format(tier=tier)} FROM fts "
                   f"JOIN docs d ON d.offer_id = fts.rowid WHERE fts MATCH :match{filters}"
                   " ORDER BY fts.rowid DESC LIMIT :limit")
            taken += conn.execute(sql, {**params, "match": expr,
                                        "limit": MAX_HITS + 1 - taken}).rowcount
            if taken > MAX_HITS:
                break
        return taken > MAX_HITS

    def _facets(self, conn: sqlite3.Connection, q: SearchQuery) -> tuple[Facets, int]:
        buckets = [f"sum(price >= {lo * 100}" + (f" AND price < {hi * 100})" if hi else ")")
                   for lo, hi in PRICE_BUCKETS]
        sizes = [f"sum(size = '{s}')" for s in SIZES]
        row = conn.execute(
            "SELECT count(*), sum(is_832), sum(green), sum(energy), sum(env), sum(in_stock), "
            f"sum(deliver), {', '.join(buckets)}, {', '.join(sizes)} FROM temp.hits").fetchone()
        total = row[0]
        row = [v or 0 for v in row]
        nb = len(PRICE_BUCKETS)
        facets = Facets(
            is_832=row[1], green=row[2], cert_kinds={"energy": row[3], "environment": row[4]},
            in_stock=row[5], deliverable=row[6] if q.region else None,
            prices={bucket_key(lo, hi): row[7 + i] for i, (lo, hi) in enumerate(PRICE_BUCKETS)},
            sizes={s: row[7 + nb + i] for i, s in enumerate(SIZES) if row[7 + nb + i]},
        )
        facets.prices = {k: v for k, v in facets.prices.items() if v}
        # One GROUP BY for two facets (few category × brand pairs), summed here.
        categories: dict[str, int] = {}
        brands: dict[str, int] = {}
        for code, brand, n in conn.execute(
                "SELECT category_code, brand, count(*) FROM temp.hits GROUP BY 1, 2"):
            categories[code] = categories.get(code, 0) + n
            brands[brand] = brands.get(brand, 0) + n
        facets.categories = _ranked(categories)
        facets.brands = _ranked(brands, 30)
        if facets.is_832:
            provinces: dict[str, int] = {}
            counties: dict[str, int] = {}
            for province, county, n in conn.execute(
                    "SELECT province, county, count(*) FROM temp.hits WHERE is_832 GROUP BY 1, 2"):
                provinces[province] = provinces.get(province, 0) + n
                counties[county] = n
            facets.provinces, facets.counties = _ranked(provinces), _ranked(counties)
        return facets, total

    def search(self, q: SearchQuery) -> SearchResult:
        clauses = analysis.parse(q.text, self.synonyms)
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            capped = self._collect(conn, q, clauses)
            if capped:  # keep exactly MAX_HITS: drop the one beyond the limit
                conn.execute("DELETE FROM temp.hits WHERE offer_id = (SELECT offer_id FROM "
                             "temp.hits ORDER BY score DESC, offer_id LIMIT 1)")
            facets, total_offers = self._facets(conn, q)
            agg, direction = GROUP_ORDER[q.sort]
            slots: list[tuple[int, int]] = []
            if q.priority_slots:
                slot_agg, slot_dir = GROUP_ORDER["relevance"]
                slots = [(r[0], r[1]) for r in conn.execute(
                    f"SELECT offer_id, product_id, {slot_agg} AS k FROM temp.hits "
                    f"WHERE green OR is_832 GROUP BY product_id ORDER BY k {slot_dir}, "
                    f"product_id LIMIT ?", (q.priority_slots,))]
            slot_products = [p for _, p in slots]
            exclude = ""
            if slot_products:
                exclude = f"WHERE product_id NOT IN ({','.join(str(p) for p in slot_products)})"
            page = conn.execute(
                f"SELECT offer_id, product_id, {agg} AS k, count(*), count(*) OVER () "
                f"FROM temp.hits {exclude} "
                f"GROUP BY product_id ORDER BY k {direction}, product_id "
                f"LIMIT ? OFFSET ?", (q.per_page, (q.page - 1) * q.per_page)).fetchall()
            if page:
                total_products = page[0][4]
            else:
                total_products = conn.execute(
                    f"SELECT count(DISTINCT product_id) FROM temp.hits {exclude}").fetchone()[0]
            lowest = {}
            if page:
                ids = ",".join(str(r[1]) for r in page)
                lowest = dict(conn.execute(
                    f"SELECT product_id, MIN(price) FROM temp.hits WHERE product_id IN ({ids}) "
                    "GROUP BY product_id"))
            wanted = [r[0] for r in page] + [o for o, _ in slots]
            docs = {}
            if wanted:
                docs = {oid: json.loads(data) for oid, data in conn.execute(
                    f"SELECT offer_id, data FROM payload WHERE offer_id IN "
                    f"({','.join(str(i) for i in wanted)})")}
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        groups = [Group(product_id=pid, offer_count=n,
                        min_price=(Decimal(lowest[pid]) / 100).quantize(Decimal("0.01")),
                        hit=analysis.make_hit(docs[oid], clauses, q.today))
                  for oid, pid, _k, n, _total in page if oid in docs]
        slot_hits = [analysis.make_hit(docs[oid], clauses, q.today, slot=True)
                     for oid, _ in slots if oid in docs]
        return SearchResult(groups=groups, slots=slot_hits, total_products=total_products,
                            total_offers=total_offers, facets=facets, page=q.page,
                            per_page=q.per_page, capped=capped)

    def suggest(self, text: str, limit: int = 8) -> list[str]:
        clauses = analysis.parse_prefix(text, self.synonyms)
        if not clauses:
            return []
        rows = self._conn().execute(
            "SELECT p.data FROM fts JOIN payload p ON p.offer_id = fts.rowid WHERE fts MATCH ? "
            "ORDER BY fts.rowid DESC LIMIT 200", (_fts_expression(clauses),)).fetchall()
        return analysis.suggestions([json.loads(r[0]) for r in rows], limit)

