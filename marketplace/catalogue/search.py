"""Catalogue text search: PostgreSQL full-text search and trigram name matching, or, on other
databases (SQLite, the embedded default), every word as a substring of the search document.

On PostgreSQL a twin matches when its weighted vector (talent migration 0011: name A, tags B,
description C, the rest D; English stemming) matches every word, ranked by `ts_rank`: a twin
named what was typed comes before one whose description mentions it. When the words match
no twin, the twins whose display name is close to them match instead (pg_trgm word
similarity, for misspelt names), ranked by that similarity. Both are GIN-indexed."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVectorExact,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import connections
from django.db.models import ExpressionWrapper, F, FloatField, QuerySet
from django.db.models.expressions import Expression
from django.db.models.sql.compiler import SQLCompiler

from marketplace.talent.models import Twin

CONFIG = "english"  # the configuration the generated column is built with
MAX_WORDS = 8
RANK = "search_rank"  # the annotation ranked searches are ordered by


class SearchVectorColumn(Expression):
    """The twin's generated `search_vector` column (talent migration 0011), which the model
    leaves out, in the query's own alias of the twin table."""

    output_field = SearchVectorField()

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:
        alias = compiler.quote_name_unless_alias(compiler.query.base_table)
        return f"{alias}.{connection.ops.quote_name('search_vector')}", []


def _words(text: str) -> list[str]:
    return text.split()[:MAX_WORDS]


def has_close_names(twins: QuerySet[Twin]) -> bool:
    """Whether `twins`' database can look for names close to the words (pg_trgm)."""
    return connections[twins.db].vendor == "postgresql"


def matching(
    twins: QuerySet[Twin], text: str, *, close_names: bool = False
) -> tuple[QuerySet[Twin], bool]:
    """`twins` narrowed to those matching `text` (or, with `close_names`, named close to
    it), and whether they carry a RANK annotation (PostgreSQL) to order by relevance."""
    words = _words(text)
    if not words:
        return twins, False
    if not has_close_names(twins):
        for word in words:
            twins = twins.filter(search_document__contains=word.lower())
        return twins, False
    phrase = " ".join(words)
    if close_names:
        # Looked for only when the words match no twin: every name sharing a few trigrams
        # with the words is a candidate, so the cost grows with the catalogue's names.
        rank: Any = TrigramWordSimilarity(phrase, "display_name")
        twins = twins.filter(TrigramWordSimilar(F("display_name"), phrase))
    else:
        query = SearchQuery(phrase, config=CONFIG, search_type="websearch")
        rank = SearchRank(SearchVectorColumn(), query)
        twins = twins.filter(SearchVectorExact(SearchVectorColumn(), query))
    return twins.annotate(**{RANK: ExpressionWrapper(rank, output_field=FloatField())}), True
