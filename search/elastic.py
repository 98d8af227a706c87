"""The Elasticsearch backend (8/9, official `elasticsearch` client).

- Readers and writers use an alias (default `offers`) that points at one concrete index
  `offers-<stamp>` with explicit mappings: the jieba-segmented token fields (title, body,
  pinyin, chars; whitespace-analysed because segmentation happens in Python, the same as
  in the embedded backend), a `cjk` field with the built-in cjk analyzer (bigrams, used
  for scoring only), and keywords / numbers / dates for every filter and facet.
- Writes are bulk requests. A full reindex builds a new index and then swaps the alias
  in one atomic `_aliases` call; searches never see a half-built index.
- Queries: the clauses from `search.analysis.parse` become a bool query; product groups
  come from `collapse` on product_id (inner hits give each product's lowest price and
  offer count), facets from aggregations over every match.

The client talks plain `application/json` (see `PlainJsonNode`): Elasticsearch 8/9 accept
it, and so do OpenSearch-compatible servers such as osmem-server used by the tests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from decimal import Decimal

from elastic_transport import Urllib3HttpNode
from elasticsearch import Elasticsearch, NotFoundError, helpers
from elasticsearch import TransportError as ESTransportError
from elasticsearch.exceptions import ApiError

from search import analysis
from search.analysis import Clause, Synonyms
from search.backend import SearchUnavailable
from search.query import (
    PRICE_BUCKETS,
    Facets,
    Group,
    SearchQuery,
    SearchResult,
    bucket_key,
    price_cents,
)

_COMPAT = re.compile(r"application/vnd\.elasticsearch\+([a-z-]+)\s*;\s*compatible-with=\d+")


class PlainJsonNode(Urllib3HttpNode):
    """Sends `application/json` instead of the client's compatibility media type."""

    def perform_request(self, method, target, body=None, headers=None, **kw):
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                value = headers.get(name)
                if value:
                    headers[name] = _COMPAT.sub(r"application/\1", value)
        return super().perform_request(method, target, body=body, headers=headers, **kw)


TOKEN_FIELDS = ("title_tokens", "body_tokens", "pinyin", "chars", "cjk")
SETTINGS = {
    "number_of_shards": 1,
    "analysis": {"analyzer": {"tokens": {"type": "custom", "tokenizer": "whitespace",
                                         "filter": ["lowercase"]}}},
}
MAPPINGS = {
    "dynamic": False,  # the document is kept in _source; only these fields are indexed
    "properties": {
        "id": {"type": "long"},
        "product_id": {"type": "long"},
        "supplier_id": {"type": "long"},
        "title_tokens": {"type": "text", "analyzer": "tokens"},
        "body_tokens": {"type": "text", "analyzer": "tokens"},
        "pinyin": {"type": "text", "analyzer": "tokens"},
        "chars": {"type": "text", "analyzer": "tokens"},
        "cjk": {"type": "text", "analyzer": "cjk"},
        "brand": {"type": "keyword"},
        "category_code": {"type": "keyword"},
        "category_path": {"type": "keyword"},
        "mandatory_green": {"type": "boolean"},
        "price_cents": {"type": "long"},
        "stock": {"type": "integer"},
        "sales_count": {"type": "integer"},
        "created_at": {"type": "date"},
        "supplier_size": {"type": "keyword"},
        "province_code": {"type": "keyword"},
        "region_code": {"type": "keyword"},
        "delivery_regions": {"type": "keyword"},
        "is_832": {"type": "boolean"},
        "energy_until": {"type": "date", "format": "yyyy-MM-dd"},
        "environment_until": {"type": "date", "format": "yyyy-MM-dd"},
        "green_until": {"type": "date", "format": "yyyy-MM-dd"},
        "digest": {"type": "keyword"},
    },
}
GROUP_SORT = {
    "relevance": [{"_score": "desc"}, {"product_id": "asc"}],
    "price_asc": [{"price_cents": "asc"}, {"product_id": "asc"}],
    "price_desc": [{"price_cents": "desc"}, {"product_id": "asc"}],
    "sales": [{"sales_count": "desc"}, {"product_id": "asc"}],
    "newest": [{"created_at": "desc"}, {"product_id": "asc"}],
}


def _source(doc: dict) -> dict:
    tokens = analysis.analyze(doc)
    greens = [d for d in (doc["energy_until"], doc["environment_until"]) if d]
    return {**doc, **tokens, "price_cents": price_cents(doc["price"]),
            "green_until": max(greens) if greens else None,
            "cjk": " ".join([doc["title"], doc["brand"], doc["product_name"],
                             doc["category_name"]])}


def _strip(source: dict) -> dict:
    return {k: v for k, v in source.items()
            if k not in TOKEN_FIELDS and k not in ("price_cents", "green_until")}


def _alt_query(alt) -> dict:
    def one(token: str) -> dict:
        if alt.field == "text":
            if alt.prefix:
                return {"bool": {"should": [{"prefix": {"title_tokens": token}},
                                            {"prefix": {"body_tokens": token}}],
                                 "minimum_should_match": 1}}
            return {"multi_match": {"query": token,
                                    "fields": ["title_tokens^10", "body_tokens^3"]}}
        if alt.prefix:
            return {"prefix": {alt.field: token}}
        return {"match": {alt.field: token}}

    queries = [one(t) for t in alt.tokens] + [{"match": {"chars": c}} for c in alt.chars]
    return queries[0] if len(queries) == 1 else {"bool": {"must": queries}}


def _text_query(clauses: list[Clause], text: str) -> list[dict]:
    return [{"bool": {"should": [_alt_query(a) for a in clause], "minimum_should_match": 1}}
            for clause in clauses]


class ElasticBackend:
    name = "elasticsearch"

    def __init__(self, url: str, *, synonyms: Synonyms | None = None, alias: str = "offers",
                 refresh: bool = False, timeout: float = 10.0):
        self.synonyms = synonyms or Synonyms.from_file(None)
        self.alias = alias
        self.refresh = refresh
        self.client = Elasticsearch(url, node_class=PlainJsonNode, request_timeout=timeout,
                                    max_retries=0)
        self._ready = False

    # --- index management ---------------------------------------------------------------

    def _call(self, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except (ESTransportError, ConnectionError) as exc:
            raise SearchUnavailable(f"Elasticsearch unreachable: {exc}") from exc

    def _new_index(self) -> str:
        name = f"{self.alias}-{time.time_ns()}"
        self._call(self.client.indices.create, index=name, settings=SETTINGS,
                   mappings=MAPPINGS)
        return name

    def _ensure(self) -> None:
        if self._ready:
            return
        if not self._call(self.client.indices.exists_alias, name=self.alias):
            name = self._new_index()
            self._call(self.client.indices.update_aliases,
                       actions=[{"add": {"index": name, "alias": self.alias}}])
        self._ready = True

    def _indices(self) -> list[str]:
        try:
            return list(self._call(self.client.indices.get_alias, name=self.alias).body)
        except NotFoundError:
            return []

    def _bulk(self, actions: Iterable[dict], *, refresh) -> None:
        try:
            _ok, errors = helpers.bulk(self.client, actions, refresh=refresh,
                                       raise_on_error=False, chunk_size=2000)
        except (ESTransportError, ConnectionError) as exc:
            raise SearchUnavailable(f"Elasticsearch unreachable: {exc}") from exc
        errors = [e for e in errors
                  if not (e.get("delete") or {}).get("status") == 404]
        if errors:
            raise RuntimeError(f"bulk indexing failed for {len(errors)} documents: {errors[:3]}")

    def index(self, docs: list[dict]) -> None:
        if not docs:
            return
        self._ensure()
        self._bulk(({"_op_type": "index", "_index": self.alias, "_id": str(d["id"]),
                     "_source": _source(d)} for d in docs), refresh=self.refresh)

    def delete(self, offer_ids: list[int]) -> None:
        if not offer_ids:
            return
        self._ensure()
        self._bulk(({"_op_type": "delete", "_index": self.alias, "_id": str(i)}
                    for i in offer_ids), refresh=self.refresh)

    def reindex(self, chunks: Iterable[list[dict]]) -> int:
        """Fill a new index, then move the alias to it atomically and drop the old ones."""
        old = self._indices()
        name = self._new_index()
        count = 0

        def actions():
            nonlocal count
            for docs in chunks:
                for d in docs:
                    count += 1
                    yield {"_op_type": "index", "_index": name, "_id": str(d["id"]),
                           "_source": _source(d)}

        try:
            self._bulk(actions(), refresh=False)
            self._call(self.client.indices.refresh, index=name)
        except BaseException:
            self._call(self.client.indices.delete, index=name)
            raise
        swap = [{"remove": {"index": i, "alias": self.alias}} for i in old]
        swap.append({"add": {"index": name, "alias": self.alias}})
        self._call(self.client.indices.update_aliases, actions=swap)
        for index in old:
            self._call(self.client.indices.delete, index=index)
        self._ready = True
        return count

    def refresh_now(self) -> None:
        self._call(self.client.indices.refresh, index=self.alias)

    def count(self) -> int:
        self._ensure()
        return self._call(self.client.count, index=self.alias)["count"]

    def digests(self) -> dict[int, str]:
        self._ensure()
        out = {}
        try:
            for hit in helpers.scan(self.client, index=self.alias, size=2000,
                                    query={"query": {"match_all": {}}},
                                    _source=["id", "digest"]):
                out[int(hit["_source"]["id"])] = hit["_source"]["digest"]
        except (ESTransportError, ConnectionError) as exc:
            raise SearchUnavailable(f"Elasticsearch unreachable: {exc}") from exc
        return out

    # --- querying -----------------------------------------------------------------------

    def _filters(self, q: SearchQuery) -> list[dict]:
        today = q.today.isoformat()
        f: list[dict] = []
        if q.category_codes is not None:
            f.append({"terms": {"category_code": list(q.category_codes)}})
        if q.brands:
            f.append({"terms": {"brand": list(q.brands)}})
        if q.price_min is not None or q.price_max is not None:
            rng = {}
            if q.price_min is not None:
                rng["gte"] = price_cents(q.price_min)
            if q.price_max is not None:
                rng["lte"] = price_cents(q.price_max)
            f.append({"range": {"price_cents": rng}})
        if q.sizes:
            f.append({"terms": {"supplier_size": list(q.sizes)}})
        if q.only_832:
            f.append({"term": {"is_832": True}})
        if q.green:
            f.append({"range": {"green_until": {"gte": today}}})
        if q.cert_kind in ("energy", "environment"):
            f.append({"range": {f"{q.cert_kind}_until": {"gte": today}}})
        if q.region:
            f.append(self._deliverable(q.region))
        if q.in_stock:
            f.append({"range": {"stock": {"gt": 0}}})
        if q.province:
            f += [{"term": {"is_832": True}}, {"term": {"province_code": q.province}}]
        if q.county:
            f += [{"term": {"is_832": True}}, {"term": {"region_code": q.county}}]
        if q.hide_uncertified_mandatory:
            f.append({"bool": {"should": [{"term": {"mandatory_green": False}},
                                          {"range": {"green_until": {"gte": today}}}],
                               "minimum_should_match": 1}})
        return f

    @staticmethod
    def _deliverable(region: str) -> dict:
        return {"terms": {"delivery_regions": ["*", region[:2], region[:4], region]}}

    def _base(self, q: SearchQuery, clauses: list[Clause]) -> dict:
        query: dict = {"filter": self._filters(q)}
        if clauses:
            query["must"] = _text_query(clauses, q.text)
            query["should"] = [{"match": {"cjk": {"query": q.text, "boost": 0.5}}}]
        return {"bool": query}

    def _aggs(self, q: SearchQuery) -> dict:
        today = q.today.isoformat()
        ranges = []
        for lo, hi in PRICE_BUCKETS:
            r = {"key": bucket_key(lo, hi), "from": lo * 100}
            if hi is not None:
                r["to"] = hi * 100
            ranges.append(r)
        aggs = {
            "categories": {"terms": {"field": "category_code", "size": 500}},
            "brands": {"terms": {"field": "brand", "size": 30,
                                 "order": [{"_count": "desc"}, {"_key": "asc"}]}},
            "prices": {"range": {"field": "price_cents", "ranges": ranges}},
            "sizes": {"terms": {"field": "supplier_size", "size": 10}},
            "is_832": {"filter": {"term": {"is_832": True}},
                       "aggs": {"provinces": {"terms": {"field": "province_code", "size": 100}},
                                "counties": {"terms": {"field": "region_code", "size": 1000}}}},
            "green": {"filter": {"range": {"green_until": {"gte": today}}}},
            "energy": {"filter": {"range": {"energy_until": {"gte": today}}}},
            "environment": {"filter": {"range": {"environment_until": {"gte": today}}}},
            "in_stock": {"filter": {"range": {"stock": {"gt": 0}}}},
        }
        if q.region:
            aggs["deliverable"] = {"filter": self._deliverable(q.region)}
        return aggs

    def _search(self, **body) -> dict:
        self._ensure()
        try:
            return self.client.search(index=self.alias, **body).body
        except (ESTransportError, ConnectionError) as exc:
            raise SearchUnavailable(f"Elasticsearch unreachable: {exc}") from exc
        except ApiError as exc:
            raise SearchUnavailable(f"Elasticsearch refused the query: {exc}") from exc

    def search(self, q: SearchQuery) -> SearchResult:
        clauses = analysis.parse(q.text, self.synonyms)
        base = self._base(q, clauses)
        sort_name = q.sort if (clauses or q.sort != "relevance") else "sales"
        slots: list[dict] = []
        if q.priority_slots:
            slot_query = {"bool": {"must": [base], "filter": [{"bool": {"should": [
                {"range": {"green_until": {"gte": q.today.isoformat()}}},
                {"term": {"is_832": True}}], "minimum_should_match": 1}}]}}
            res = self._search(query=slot_query, size=q.priority_slots,
                               collapse={"field": "product_id"},
                               sort=GROUP_SORT["relevance" if clauses else "sales"],
                               track_total_hits=False)
            slots = [h["_source"] for h in res["hits"]["hits"]]
        slot_products = [s["product_id"] for s in slots]
        organic = {"bool": {"must_not": [{"terms": {"product_id": slot_products}}]}} \
            if slot_products else {"match_all": {}}
        aggs = self._aggs(q)
        aggs["offers"] = {"value_count": {"field": "id"}}
        aggs["organic"] = {"filter": organic,
                           "aggs": {"products": {"cardinality": {"field": "product_id",
                                                                 "precision_threshold": 40000}}}}
        res = self._search(
            query=base, post_filter=organic, aggs=aggs, track_total_hits=True,
            collapse={"field": "product_id",
                      "inner_hits": {"name": "cheapest", "size": 1,
                                     "sort": [{"price_cents": "asc"}], "_source": ["price"]}},
            sort=GROUP_SORT[sort_name], from_=(q.page - 1) * q.per_page, size=q.per_page)
        a = res["aggregations"]
        groups = []
        for h in res["hits"]["hits"]:
            inner = h["inner_hits"]["cheapest"]["hits"]
            cheapest = inner["hits"][0]["_source"]["price"] if inner["hits"] else \
                h["_source"]["price"]
            total = inner["total"]["value"] if isinstance(inner["total"], dict) \
                else inner["total"]
            source = _strip(h["_source"])
            groups.append(Group(product_id=source["product_id"], offer_count=total,
                                min_price=Decimal(cheapest),
                                hit=analysis.make_hit(source, clauses, q.today)))
        total_offers = int(a["offers"]["value"])  # hits.total counts only organic hits
        facets = Facets(
            categories=_buckets(a["categories"]), brands=_buckets(a["brands"]),
            prices={b["key"]: b["doc_count"] for b in a["prices"]["buckets"] if b["doc_count"]},
            sizes=_buckets(a["sizes"]), is_832=a["is_832"]["doc_count"],
            green=a["green"]["doc_count"],
            cert_kinds={"energy": a["energy"]["doc_count"],
                        "environment": a["environment"]["doc_count"]},
            in_stock=a["in_stock"]["doc_count"],
            deliverable=a["deliverable"]["doc_count"] if q.region else None,
            provinces=_buckets(a["is_832"]["provinces"]),
            counties=_buckets(a["is_832"]["counties"]),
        )
        return SearchResult(
            groups=groups,
            slots=[analysis.make_hit(_strip(s), clauses, q.today, slot=True) for s in slots],
            total_products=a["organic"]["products"]["value"], total_offers=total_offers,
            facets=facets, page=q.page, per_page=q.per_page)

    def suggest(self, text: str, limit: int = 8) -> list[str]:
        clauses = analysis.parse_prefix(text, self.synonyms)
        if not clauses:
            return []
        res = self._search(query={"bool": {"must": _text_query(clauses, text)}}, size=200,
                           _source=["brand", "category_name"])
        return analysis.suggestions([h["_source"] for h in res["hits"]["hits"]], limit)


def _buckets(agg: dict) -> dict:
    return {b["key"]: b["doc_count"] for b in agg["buckets"] if b["doc_count"]}

