"""SQLite persistence for the sandbox: one file of its own, one writer at a time.

Every API object lives in ``objects`` as its public JSON (``data``) plus private sandbox
bookkeeping (``meta``), keyed by id and owned by an account context (``''`` is the platform).
``seq`` gives the insertion order Stripe's lists are sorted by (newest first).

All access goes through :class:`Store` under one re-entrant lock; API requests run inside
:meth:`Store.transaction`, which makes each request atomic (balances checked and debited in the
same transaction, idempotency keys recorded with the response they produced).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT '',
    parent TEXT,
    data TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS objects_by_type ON objects (type, account, seq);
CREATE INDEX IF NOT EXISTS objects_by_parent ON objects (parent, type, seq);
CREATE TABLE IF NOT EXISTS idempotency (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    params TEXT NOT NULL,
    status INTEGER NOT NULL,
    body BLOB NOT NULL,
    request_id TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (account, key)
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    endpoint_id TEXT,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    api_version TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    created REAL NOT NULL,
    delivered_at REAL,
    history TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

TABLES = ("objects", "idempotency", "deliveries", "kv")


class Like(str):
    """A ``where`` value matched with SQL ``LIKE`` instead of equality."""


@dataclass
class Row:
    seq: int
    id: str
    type: str
    account: str
    parent: str | None
    data: dict[str, Any]
    meta: dict[str, Any]


def _row(record: sqlite3.Row | None) -> Row | None:
    if record is None:
        return None
    return Row(
        seq=record["seq"],
        id=record["id"],
        type=record["type"],
        account=record["account"],
        parent=record["parent"],
        data=json.loads(record["data"]),
        meta=json.loads(record["meta"]),
    )


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._depth = 0
        self.conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self.conn.row_factory = sqlite3.Row
        with self.lock:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    # -- transactions ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Atomic unit of work; nested use joins the outer transaction."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self.conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self.conn.execute("COMMIT")

    def execute(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.conn.execute(sql, args)

    # -- objects --------------------------------------------------------------------------------

    def insert(
        self,
        obj: dict[str, Any],
        *,
        account: str = "",
        parent: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        self.execute(
            "INSERT INTO objects (id, type, account, parent, data, meta) VALUES (?, ?, ?, ?, ?, ?)",
            (obj["id"], obj["object"], account, parent, json.dumps(obj), json.dumps(meta or {})),
        )
        return obj

    def save(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.execute("UPDATE objects SET data = ? WHERE id = ?", (json.dumps(obj), obj["id"]))
        return obj

    def save_meta(self, object_id: str, meta: dict[str, Any]) -> None:
        self.execute("UPDATE objects SET meta = ? WHERE id = ?", (json.dumps(meta), object_id))

    def delete(self, object_id: str) -> None:
        self.execute("DELETE FROM objects WHERE id = ?", (object_id,))

    def row(self, object_id: str) -> Row | None:
        return _row(self.execute("SELECT * FROM objects WHERE id = ?", (object_id,)).fetchone())

    def get(
        self, object_id: str, object_type: str | None = None, account: str | None = None
    ) -> dict[str, Any] | None:
        row = self.row(object_id)
        if row is None:
            return None
        if object_type is not None and row.type != object_type:
            return None
        if account is not None and row.account != account:
            return None
        return row.data

    def find(
        self,
        object_type: str,
        *,
        account: str | None = None,
        parent: str | None = None,
        where: dict[str, Any] | None = None,
    ) -> list[Row]:
        """All matching rows, oldest first (internal use, no pagination)."""
        sql, args = self._filter_sql(object_type, account, parent, where or {}, None)
        # ``sql`` holds fixed clauses with ``?`` placeholders only.
        records = self.execute(f"SELECT * FROM objects WHERE {sql} ORDER BY seq", args)  # noqa: S608
        return [r for r in (_row(x) for x in records.fetchall()) if r is not None]

    def page(
        self,
        object_type: str,
        *,
        account: str | None,
        parent: str | None = None,
        where: dict[str, Any] | None = None,
        created: dict[str, int] | None = None,
        limit: int = 10,
        starting_after: int | None = None,
        ending_before: int | None = None,
        oldest_first: bool = False,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of a Stripe list with ``has_more``: newest first (Stripe's order for
        resources) or oldest first (line items). Cursors are *seq* numbers."""
        sql, args = self._filter_sql(object_type, account, parent, where or {}, created)
        forward, backward = ("ASC", "DESC") if oldest_first else ("DESC", "ASC")
        after, before = (">", "<") if oldest_first else ("<", ">")
        if ending_before is not None:
            # Walk backwards from the cursor, then restore the list order.
            records = self.execute(
                f"SELECT data FROM objects WHERE {sql} AND seq {before} ? "  # noqa: S608
                f"ORDER BY seq {backward} LIMIT ?",
                [*args, ending_before, limit + 1],
            ).fetchall()
            has_more = len(records) > limit
            records = list(reversed(records[:limit]))
        else:
            extra, extra_args = ("", [])
            if starting_after is not None:
                extra, extra_args = (f" AND seq {after} ?", [starting_after])
            records = self.execute(
                f"SELECT data FROM objects WHERE {sql}{extra} "  # noqa: S608
                f"ORDER BY seq {forward} LIMIT ?",
                [*args, *extra_args, limit + 1],
            ).fetchall()
            has_more = len(records) > limit
            records = records[:limit]
        return [json.loads(r["data"]) for r in records], has_more

    @staticmethod
    def _filter_sql(
        object_type: str,
        account: str | None,
        parent: str | None,
        where: dict[str, Any],
        created: dict[str, int] | None,
    ) -> tuple[str, list[Any]]:
        clauses = ["type = ?"]
        args: list[Any] = [object_type]
        if account is not None:
            clauses.append("account = ?")
            args.append(account)
        if parent is not None:
            clauses.append("parent = ?")
            args.append(parent)
        for field, value in where.items():
            path = "$." + field
            if isinstance(value, (list, tuple)):
                marks = ", ".join("?" for _ in value)
                clauses.append(f"json_extract(data, ?) IN ({marks})")
                args.extend([path, *value])
            elif isinstance(value, Like):
                clauses.append("json_extract(data, ?) LIKE ?")
                args.extend([path, str(value)])
            elif value is None:
                clauses.append("json_extract(data, ?) IS NULL")
                args.append(path)
            else:
                clauses.append("json_extract(data, ?) = ?")
                args.extend([path, value])
        operators = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "="}
        for op, value in (created or {}).items():
            clauses.append(f"json_extract(data, '$.created') {operators[op]} ?")
            args.append(value)
        return " AND ".join(clauses), args

    def counts(self) -> dict[str, int]:
        records = self.execute("SELECT type, COUNT(*) AS n FROM objects GROUP BY type").fetchall()
        return {r["type"]: r["n"] for r in records}

    # -- key/value ------------------------------------------------------------------------------

    def kv_get(self, key: str) -> Any:
        record = self.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if record is None else json.loads(record["value"])

    def kv_set(self, key: str, value: Any) -> None:
        self.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    # -- reset ----------------------------------------------------------------------------------

    def wipe(self) -> None:
        with self.transaction():
            for table in TABLES:
                self.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
