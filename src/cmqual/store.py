"""The project store: the one place codings are persisted and reloaded.

A store is one SQLite file (``store.sqlite`` in a project folder, see
:mod:`cmqual.project`) that needs no server. It holds human and automatic codings, memos,
each coder's rejected suggestions and position, machine records (such as the run record of
learned suggestions, see :mod:`cmqual.suggest._storage`), and an action log from which
every coder can undo their own recent actions. :class:`Store` knows nothing about corpora
or codebooks: the project validates a coding before it reaches the store, the store keeps
it safe.

Durability and concurrency
--------------------------
``journal_mode=WAL``
    Readers never block the writer, and a process killed in the middle of a write leaves
    the database as of its last commit (SQLite ignores an incomplete WAL frame on the next
    open).
``synchronous=FULL``
    Every commit is fsynced before the write call returns. WAL with ``NORMAL`` already
    survives a killed process or a crashed kernel, because committed pages sit in the
    operating system's cache; ``FULL`` also survives power loss and an OS crash. Human
    coding writes a few rows a minute, so an fsync per commit (a few milliseconds) is
    invisible, while an acknowledged coding is never lost. Bulk writes (imports, auto
    codings) are one transaction and pay it once.
``busy_timeout`` of 30 s and ``BEGIN IMMEDIATE`` for every write
    Two processes (two notebook kernels, a kernel and the CLI) queue for the write lock
    instead of failing, and no transaction ever has to upgrade a read lock to a write lock,
    which SQLite cannot wait for.
``foreign_keys=ON``
    An action's recorded changes cannot outlive the action.

WAL needs shared memory between the processes, so keep projects on a local disk, not on a
network share (see https://www.sqlite.org/wal.html, "Disadvantages").

Schema (version :data:`SCHEMA_VERSION`, kept in ``PRAGMA user_version``)
-----------------------------------------------------------------------
``codings``
    id, doc_id, doc_sha256 (SHA-256 of the document text the offsets refer to),
    start_offset, end_offset (0-based, end-exclusive code points), text (the quote,
    ``document.text[start:end]`` at coding time), code (full code reference), coder,
    origin (:data:`ORIGINS`), memo, level, pattern and codebook_hash (set by the auto-coder;
    codebook_hash also records the codebook version a human coded against), created and
    modified (UTC ISO 8601). A human coder cannot hold the same span and code twice.
``memos``
    id, coder, target_kind (``project``, ``code`` or ``document``), target ("" for the
    project, a code reference or a doc_id), text, created, modified; one memo per coder and
    target.
``rejections``
    the suggestion hits a coder rejected in the coding widget: id, coder, doc_id,
    doc_sha256 (SHA-256 of the document text the offsets refer to), start_offset,
    end_offset, code, text (the quote), created (UTC ISO 8601); one row per coder,
    document version, span and code. A rejection of an older text no longer applies
    (see :meth:`cmqual.project.Project.rejections`).
``positions``
    coder, doc_id, segment_id, start_offset, modified: where a coder's session resumes.
``actions``
    the audit trail: id, coder, kind, detail (JSON), created, undoable, undone_by.
``changes``
    row images (JSON ``before`` and ``after``) of every row of ``codings``, ``memos`` and
    ``rejections`` an undoable action touched.
``records``
    what cmqual's own programs keep about their runs, for the program and for the record,
    never shown as a researcher's text (see :meth:`Store.set_record`): key (named
    ``<program>:<subject>``, e.g. ``suggest-run:alice``), value (text, usually JSON),
    modified (UTC ISO 8601).
``meta``
    key/value facts about the store itself, written when it is created (the cmqual version
    that created it, and when). Records are kept apart so that no record key can ever
    overwrite one of these facts.

Migrations
----------
A new store is created at :data:`SCHEMA_VERSION`; an older one is migrated when it is
opened, one version at a time, in one transaction under the write lock (a failed migration
leaves the file as it was).

1 → 2
    Adds ``rejections``. Before it, cmqual kept a coder's rejections as the document memos
    of a pseudo-coder ``"<coder> (rejected suggestions)"`` (one JSON object per line with
    start, end, code, text and sha256); they move to ``rejections`` as rows of the real
    coder (``created`` is the memo's last modification) and the memos are deleted. Actions
    that changed those memos can no longer be undone (an undo would bring the pseudo-coder
    back), and the migration is logged as an action of ``cmqual`` (kind ``migrate``).
    ``changes`` is rebuilt, ids kept, so its ``tbl`` check allows ``rejections``.

    Adds ``records``. Before it, ``cmqual suggest`` kept its run record for a coder as the
    project memo of the pseudo-coder ``"cmqual-suggest:<coder>"`` (a header line, then
    JSON), so it showed among the memos and reached REFI-QDA exports as a note. Each such
    memo moves to the record ``suggest-run:<coder>`` (the JSON after the header, unchanged;
    ``modified`` is the memo's) and is deleted; actions that changed it can no longer be
    undone, as above.

Undo
----
:meth:`Store.undo` reverses a coder's most recent action that is not yet undone by putting
back the ``before`` image of every row it changed. A row that a later action (by anyone)
has changed since is left alone and reported, so undoing never overwrites another coder's
work. An undo is itself logged (kind ``undo``) and marks the action ``undone_by`` it.
Replacing automatic codings is logged but cannot be undone: re-run the auto-coder instead.
Writing a machine record is logged (kind ``record``) but cannot be undone either: its
program rewrites it on its next run, and an undo would make the record disagree with the
codings that run stored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from cmqual._version import __version__
from cmqual.errors import ProjectError

__all__ = [
    "AUTO_ORIGINS",
    "ORIGINS",
    "REJECTION_COLUMNS",
    "SCHEMA_VERSION",
    "STORE_COLUMNS",
    "Action",
    "Position",
    "Store",
    "UndoResult",
    "utc_now",
]

#: Version of the store schema this cmqual reads and writes.
SCHEMA_VERSION = 2

#: Where a coding came from. ``suggestion-accepted`` is a machine suggestion a human kept.
ORIGINS: tuple[str, ...] = ("human", "auto", "suggestion", "suggestion-accepted")
#: Origins made by a program rather than a person.
AUTO_ORIGINS: tuple[str, ...] = ("auto", "suggestion")

#: Columns of :meth:`Store.codings_frame`, with their dtypes.
STORE_COLUMNS: dict[str, str] = {
    "coding_id": "int64",
    "doc_id": "string",
    "doc_sha256": "string",
    "start": "int64",
    "end": "int64",
    "text": "string",
    "code": "string",
    "coder": "string",
    "origin": "string",
    "memo": "string",
    "level": "string",
    "pattern": "string",
    "codebook_hash": "string",
    "created": "string",
    "modified": "string",
}
MEMO_COLUMNS: dict[str, str] = {
    "memo_id": "int64",
    "coder": "string",
    "target_kind": "string",
    "target": "string",
    "text": "string",
    "created": "string",
    "modified": "string",
}
#: Columns of :meth:`Store.rejections_frame`, with their dtypes.
REJECTION_COLUMNS: dict[str, str] = {
    "rejection_id": "int64",
    "coder": "string",
    "doc_id": "string",
    "doc_sha256": "string",
    "start": "int64",
    "end": "int64",
    "code": "string",
    "text": "string",
    "created": "string",
}
ACTION_COLUMNS: dict[str, str] = {
    "action_id": "int64",
    "coder": "string",
    "kind": "string",
    "detail": "string",
    "created": "string",
    "undoable": "bool",
    "undone_by": "Int64",
}
MEMO_KINDS: tuple[str, ...] = ("project", "code", "document")

#: Tables whose rows actions change and undo restores.
_TABLES = ("codings", "memos", "rejections")
_ORIGIN_SQL = ", ".join(f"'{o}'" for o in ORIGINS)
_HUMAN_SQL = ", ".join(f"'{o}'" for o in ORIGINS if o not in AUTO_ORIGINS)
_TABLES_SQL = ", ".join(f"'{t}'" for t in _TABLES)

#: Machine records (see :meth:`Store.set_record`); not in ``_TABLES``: never undone.
_RECORDS_SCHEMA = """
CREATE TABLE records (
    key TEXT PRIMARY KEY CHECK (key <> ''),
    value TEXT NOT NULL,
    modified TEXT NOT NULL
);
"""
_REJECTIONS_SCHEMA = """
CREATE TABLE rejections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    coder TEXT NOT NULL CHECK (coder <> ''),
    doc_id TEXT NOT NULL CHECK (doc_id <> ''),
    doc_sha256 TEXT NOT NULL,
    start_offset INTEGER NOT NULL CHECK (start_offset >= 0),
    end_offset INTEGER NOT NULL CHECK (end_offset > start_offset),
    code TEXT NOT NULL CHECK (code <> ''),
    text TEXT NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (coder, doc_id, doc_sha256, start_offset, end_offset, code)
);
"""


def _changes_schema(name: str) -> str:
    """The ``changes`` table, created as ``name`` (the 1 → 2 migration rebuilds it)."""
    return f"""
CREATE TABLE {name} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id INTEGER NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    tbl TEXT NOT NULL CHECK (tbl IN ({_TABLES_SQL})),
    row_id INTEGER NOT NULL,
    before TEXT,
    after TEXT
);
"""


_SCHEMA = f"""
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE codings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL CHECK (doc_id <> ''),
    doc_sha256 TEXT NOT NULL,
    start_offset INTEGER NOT NULL CHECK (start_offset >= 0),
    end_offset INTEGER NOT NULL CHECK (end_offset > start_offset),
    text TEXT NOT NULL,
    code TEXT NOT NULL CHECK (code <> ''),
    coder TEXT NOT NULL CHECK (coder <> ''),
    origin TEXT NOT NULL CHECK (origin IN ({_ORIGIN_SQL})),
    memo TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT '',
    pattern TEXT NOT NULL DEFAULT '',
    codebook_hash TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE INDEX codings_coder ON codings (coder, doc_id);
CREATE INDEX codings_doc ON codings (doc_id, start_offset);
CREATE INDEX codings_code ON codings (code);
CREATE INDEX codings_auto ON codings (origin, coder, codebook_hash);
CREATE UNIQUE INDEX codings_unique_human
    ON codings (coder, code, doc_id, start_offset, end_offset, doc_sha256)
    WHERE origin IN ({_HUMAN_SQL});
CREATE TABLE memos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    coder TEXT NOT NULL CHECK (coder <> ''),
    target_kind TEXT NOT NULL CHECK (target_kind IN ('project', 'code', 'document')),
    target TEXT NOT NULL,
    text TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    UNIQUE (target_kind, target, coder)
);
CREATE TABLE positions (
    coder TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    segment_id TEXT NOT NULL,
    start_offset INTEGER,
    modified TEXT NOT NULL
);
CREATE TABLE actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    coder TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    created TEXT NOT NULL,
    undoable INTEGER NOT NULL CHECK (undoable IN (0, 1)),
    undone_by INTEGER REFERENCES actions (id)
);
CREATE INDEX actions_coder ON actions (coder, id);
""" + _REJECTIONS_SCHEMA + _RECORDS_SCHEMA + _changes_schema("changes") + """
CREATE INDEX changes_action ON changes (action_id);
"""

_CODING_FIELDS = ("doc_id", "doc_sha256", "start_offset", "end_offset", "text", "code",
                  "coder", "origin", "memo", "level", "pattern", "codebook_hash")
#: What makes a rejection unique, with its coder (the table's UNIQUE constraint).
_REJECTION_KEY = ("doc_id", "doc_sha256", "start_offset", "end_offset", "code")
_REJECTION_FIELDS = (*_REJECTION_KEY, "text")
#: How schema 1 named the pseudo-coder holding a coder's rejections (see Migrations).
_V1_REJECTIONS_SUFFIX = " (rejected suggestions)"
#: How schema 1 named the pseudo-coder whose project memo held ``cmqual suggest``'s run
#: record for a coder, and that memo's first line (see Migrations).
_V1_SUGGEST_PREFIX = "cmqual-suggest:"
_V1_RECORD_HEADER = "cmqual-suggest run record (JSON, written by cmqual.suggest; do not edit)"
#: Key of the record it moves to, followed by the coder: the key
#: :func:`cmqual.suggest._storage.record_key` reads and writes.
_SUGGEST_RECORD_PREFIX = "suggest-run:"


def utc_now() -> str:
    """Current time as UTC ISO 8601 with microseconds, e.g. ``2024-05-01T09:30:00.000001Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Position:
    """Where a coder's session resumes: the last segment they visited."""

    coder: str
    doc_id: str
    segment_id: str
    start: int | None
    modified: str


@dataclass(frozen=True)
class Action:
    """One entry of the audit trail."""

    id: int
    coder: str
    kind: str
    detail: Mapping[str, object]
    created: str


@dataclass(frozen=True)
class UndoResult:
    """What :meth:`Store.undo` did.

    Attributes
    ----------
    action : Action
        The action that was undone.
    restored : int
        Rows put back as they were before it.
    skipped : tuple of str
        Rows left alone because a later action changed them, one description each.
    """

    action: Action
    restored: int
    skipped: tuple[str, ...] = field(default=())


class _Transaction:
    """Row writes inside one ``BEGIN IMMEDIATE`` transaction, recorded per acting coder."""

    def __init__(self, conn: sqlite3.Connection, actor: str, kind: str, *,
                 record: bool, undoable: bool) -> None:
        self.conn = conn
        self.actor = actor
        self.kind = kind
        self.record = record
        self.undoable = undoable
        self.details: dict[str, dict[str, object]] = {}
        self._actions: dict[str, int] = {}

    def detail(self) -> dict[str, object]:
        """The detail of the current actor's action (created on first use)."""
        return self.details.setdefault(self.actor, {})

    def action_id(self) -> int:
        """Id of the current actor's action, inserting the action row on first use."""
        if self.actor not in self._actions:
            cur = self.conn.execute(
                "INSERT INTO actions (coder, kind, detail, created, undoable) "
                "VALUES (?, ?, '{}', ?, ?)",
                (self.actor, self.kind, utc_now(), int(self.undoable)),
            )
            self._actions[self.actor] = int(cur.lastrowid)
        self.detail()
        return self._actions[self.actor]

    def finish(self) -> None:
        for actor, action_id in self._actions.items():
            self.conn.execute("UPDATE actions SET detail = ? WHERE id = ?",
                              (_dumps(self.details.get(actor, {})), action_id))

    # -- recorded row writes --------------------------------------------------------------
    def insert(self, table: str, values: Mapping[str, object]) -> int:
        cols = list(values)
        cur = self.conn.execute(
            f"INSERT INTO {_table(table)} ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})",
            [values[c] for c in cols],
        )
        row_id = int(cur.lastrowid)
        self._record(table, row_id, None, _image(self.conn, table, row_id))
        return row_id

    def update(self, table: str, row_id: int, values: Mapping[str, object]) -> bool:
        before = _image(self.conn, table, row_id)
        if before is None:
            raise ProjectError(f"no {table[:-1]} with id {row_id}")
        if all(before[k] == v for k, v in values.items()):
            return False
        self.conn.execute(
            f"UPDATE {_table(table)} SET {', '.join(f'{c} = ?' for c in values)} WHERE id = ?",
            [*values.values(), row_id],
        )
        self._record(table, row_id, before, _image(self.conn, table, row_id))
        return True

    def delete(self, table: str, row_id: int) -> None:
        before = _image(self.conn, table, row_id)
        if before is None:
            raise ProjectError(f"no {table[:-1]} with id {row_id}")
        self.conn.execute(f"DELETE FROM {_table(table)} WHERE id = ?", (row_id,))
        self._record(table, row_id, before, None)

    def _record(self, table: str, row_id: int, before, after) -> None:
        action_id = self.action_id()
        if self.record:
            self.conn.execute(
                "INSERT INTO changes (action_id, tbl, row_id, before, after) "
                "VALUES (?, ?, ?, ?, ?)",
                (action_id, table, row_id,
                 None if before is None else _dumps(before),
                 None if after is None else _dumps(after)),
            )


def _table(name: str) -> str:
    if name not in _TABLES:  # table names cannot be SQL parameters; allow only ours
        raise ValueError(f"unknown table {name!r}")
    return name


def _dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _image(conn: sqlite3.Connection, table: str, row_id: int) -> dict[str, object] | None:
    cur = conn.execute(f"SELECT * FROM {_table(table)} WHERE id = ?", (row_id,))
    row = cur.fetchone()
    if row is None:
        return None
    return {d[0]: v for d, v in zip(cur.description, row, strict=True)}


def _in(column: str, values: Collection[object] | None) -> tuple[str, list[object]]:
    if values is None:
        return "", []
    values = list(values)
    if not values:
        return " AND 0", []
    return f" AND {column} IN ({', '.join('?' for _ in values)})", values


class Store:
    """An open project store (one SQLite file).

    Parameters
    ----------
    path : str or Path
        The SQLite file.
    create : bool
        Create the file when it does not exist (otherwise that is a :class:`ProjectError`).

    Raises
    ------
    ProjectError
        The file is missing, is not a cmqual store, or was written by a newer cmqual
        (its schema version is higher than :data:`SCHEMA_VERSION`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "store.sqlite", create=True)
    >>> cid, new = store.add_coding({"doc_id": "p01", "doc_sha256": "ab", "start_offset": 0,
    ...                              "end_offset": 5, "text": "Hello", "code": "cb/greeting",
    ...                              "coder": "ana", "origin": "human"}, actor="ana")
    >>> store.codings_frame()[["doc_id", "start", "end", "code"]].values.tolist()
    [['p01', 0, 5, 'cb/greeting']]
    >>> store.undo("ana").action.kind
    'code'
    >>> store.close()
    """

    def __init__(self, path: str | Path, *, create: bool = False) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise ProjectError(f"{self.path}: the project store does not exist")
        self._lock = threading.RLock()
        try:
            # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
            self._conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as exc:
            raise ProjectError(f"{self.path}: cannot open the project store ({exc})") from None
        try:
            self._configure()
        except BaseException:
            self._conn.close()
            raise

    def _configure(self) -> None:
        conn = self._conn
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"{self.path}: is not a cmqual project store ({exc})") from None
        self._check_version(version)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise ProjectError(
                f"{self.path}: SQLite could not switch to WAL mode (got {mode!r}); keep the "
                "project on a local disk, not a network share"
            )
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version < SCHEMA_VERSION:
            self._create_or_migrate()

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"{self.path}: this project was written by a newer cmqual (store schema "
                f"version {version}; cmqual {__version__} reads up to version "
                f"{SCHEMA_VERSION}); upgrade cmqual (pip install --upgrade cmqual) to open it"
            )

    def _create_or_migrate(self) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have created it meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            self._check_version(version)
            if version == 0:
                tables = conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
                if tables:
                    raise ProjectError(
                        f"{self.path}: is an SQLite file but not a cmqual project store "
                        f"(it has tables {', '.join(sorted(t[0] for t in tables))})"
                    )
                _run_script(conn, _SCHEMA)
                conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                                 [("created_by", f"cmqual {__version__}"),
                                  ("created", utc_now())])
            # A new store is created at SCHEMA_VERSION; an old one migrates one step at a
            # time. Future migrations go here: ``if 0 < version < 3: ...``.
            if 0 < version < 2:
                _migrate_1_to_2(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException as exc:
            conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise ProjectError(
                    f"{self.path}: cannot bring the project store to schema version "
                    f"{SCHEMA_VERSION} ({exc}); the file was left as it was") from exc
            raise

    # -- plumbing -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (the file stays consistent whether or not this is called)."""
        with self._lock:
            self._conn.close()

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def integrity_check(self) -> str:
        """Result of SQLite's ``PRAGMA integrity_check`` (``"ok"`` when sound)."""
        with self._lock:
            rows = self._conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(r[0]) for r in rows)

    @contextlib.contextmanager
    def _write(self, actor: str, kind: str, *, record: bool = True,
               undoable: bool | None = None) -> Iterator[_Transaction]:
        """One ``BEGIN IMMEDIATE`` transaction; ``record`` keeps row images for undo."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._error(exc) from None
            tx = _Transaction(self._conn, actor, kind, record=record,
                              undoable=record if undoable is None else undoable)
            try:
                yield tx
                tx.finish()
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc) from exc
                raise

    def _error(self, exc: sqlite3.Error) -> ProjectError:
        if "locked" in str(exc) or "busy" in str(exc):
            return ProjectError(
                f"{self.path}: another process kept the project store locked for more than "
                f"30 seconds ({exc}); try again when its long write has finished")
        return ProjectError(f"{self.path}: the project store refused a write ({exc})")

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise self._error(exc) from None

    # -- codings --------------------------------------------------------------------------
    def add_coding(self, coding: Mapping[str, object], *, actor: str) -> tuple[int, bool]:
        """Store one coding in its own transaction; return ``(coding id, created)``.

        ``coding`` has the keys of the ``codings`` table except id, created and modified
        (``memo``, ``level``, ``pattern`` and ``codebook_hash`` may be left out). When the
        coder already holds the same span and code in the same document version, nothing is
        written and the existing id is returned with ``created=False`` (so a double click
        codes once).
        """
        values = {k: coding.get(k, "") for k in _CODING_FIELDS}
        with self._write(actor, "code") as tx:
            existing = self._duplicate(values)
            if existing is not None:
                return existing, False
            now = utc_now()
            cid = tx.insert("codings", {**values, "created": now, "modified": now})
            tx.detail().update(coding=cid, code=values["code"], doc_id=values["doc_id"],
                               start=values["start_offset"], end=values["end_offset"])
            return cid, True

    def _duplicate(self, values: Mapping[str, object]) -> int | None:
        # Human-made origins share one identity (the unique index); machine ones keep theirs.
        if values["origin"] in AUTO_ORIGINS:
            origins = [values["origin"]]
        else:
            origins = [o for o in ORIGINS if o not in AUTO_ORIGINS]
        clause, params = _in("origin", origins)
        row = self._conn.execute(
            "SELECT id FROM codings WHERE coder = ? AND code = ? AND doc_id = ? "
            "AND start_offset = ? AND end_offset = ? AND doc_sha256 = ?" + clause,
            [values["coder"], values["code"], values["doc_id"], values["start_offset"],
             values["end_offset"], values["doc_sha256"], *params],
        ).fetchone()
        return None if row is None else int(row[0])

    def coding(self, coding_id: int) -> dict[str, object] | None:
        """The stored row of one coding (``None`` when there is none)."""
        with self._lock:
            return _image(self._conn, "codings", int(coding_id))

    def remove_codings(self, coding_ids: Iterable[int], *, actor: str,
                       kind: str = "uncode") -> int:
        """Delete codings in one transaction (undoable); return how many were deleted."""
        ids = sorted({int(i) for i in coding_ids})
        with self._write(actor, kind) as tx:
            missing = [i for i in ids if _image(self._conn, "codings", i) is None]
            if missing:
                raise ProjectError(f"no coding with id {', '.join(map(str, missing))}")
            for cid in ids:
                tx.delete("codings", cid)
            tx.detail().update(codings=ids)
        return len(ids)

    def set_coding_memo(self, coding_id: int, memo: str, *, actor: str) -> bool:
        """Set the memo of one coding; return whether it changed."""
        with self._write(actor, "memo") as tx:
            changed = tx.update("codings", int(coding_id), {"memo": memo,
                                                            "modified": utc_now()})
            tx.detail().update(coding=int(coding_id))
            return changed

    def move_codings(self, moves: Mapping[int, str], *, actor: str, kind: str,
                     detail: Mapping[str, object] | None = None,
                     memo_moves: Mapping[str, str] | None = None) -> int:
        """Give codings new code references in one transaction (recode, merge, rename).

        Parameters
        ----------
        moves : mapping of int to str
            Coding id → new code reference.
        actor, kind, detail
            Who acts, the action's kind and what to log with it.
        memo_moves : mapping of str to str, optional
            Old code reference → new one for code memos; a memo that meets one by the same
            coder on the new code is appended to it.

        Returns
        -------
        int
            Codings moved. A coding that would duplicate one its coder already has on the
            new code is deleted instead, its memo appended to the survivor's.
        """
        now = utc_now()
        with self._write(actor, kind) as tx:
            for cid in sorted(moves):
                row = _image(self._conn, "codings", cid)
                if row is None:
                    raise ProjectError(f"no coding with id {cid}")
                target = {**row, "code": moves[cid]}
                keep = None if row["origin"] in AUTO_ORIGINS else self._duplicate(target)
                if keep is not None and keep != cid:
                    survivor = _image(self._conn, "codings", keep) or {}
                    memo = _join_memos(str(survivor.get("memo", "")), str(row["memo"]))
                    tx.update("codings", keep, {"memo": memo, "modified": now})
                    tx.delete("codings", cid)
                else:
                    tx.update("codings", cid, {"code": moves[cid], "modified": now})
            for old, new in sorted((memo_moves or {}).items()):
                for memo_id, coder, text in self._conn.execute(
                        "SELECT id, coder, text FROM memos WHERE target_kind = 'code' "
                        "AND target = ? ORDER BY id", (old,)).fetchall():
                    other = self._conn.execute(
                        "SELECT id, text FROM memos WHERE target_kind = 'code' AND target = ? "
                        "AND coder = ?", (new, coder)).fetchone()
                    if other is None:
                        tx.update("memos", memo_id, {"target": new, "modified": now})
                    else:
                        tx.update("memos", other[0], {"text": _join_memos(other[1], text),
                                                      "modified": now})
                        tx.delete("memos", memo_id)
            tx.detail().update({**(detail or {}), "codings": len(moves)})
        return len(moves)

    def import_codings(self, codings: Sequence[Mapping[str, object]],
                       memo_updates: Mapping[int, str] | None = None) -> tuple[int, int]:
        """Add many codings and update memos in one all-or-nothing transaction.

        Each coding is logged as an action of its own coder (kind ``import``), so
        ``undo(coder)`` takes back one coder's imported rows and nobody else's. Return
        ``(added, memos updated)``; codings already present are not added twice. A coding
        may bring its own ``created`` and ``modified`` times (UTC ISO 8601, e.g. from a
        REFI-QDA project); without them both are now.
        """
        now = utc_now()
        added = updated = 0
        with self._write("cmqual-import", "import") as tx:
            for coding in codings:
                values = {k: coding.get(k, "") for k in _CODING_FIELDS}
                tx.actor = str(values["coder"])
                if self._duplicate(values) is not None:
                    continue
                created = str(coding.get("created") or now)
                tx.insert("codings", {**values, "created": created,
                                      "modified": str(coding.get("modified") or created)})
                d = tx.detail()
                d["codings"] = int(d.get("codings", 0)) + 1
                added += 1
            for cid, memo in sorted((memo_updates or {}).items()):
                row = _image(self._conn, "codings", cid)
                if row is None:
                    raise ProjectError(f"no coding with id {cid}")
                tx.actor = str(row["coder"])
                if tx.update("codings", cid, {"memo": memo, "modified": now}):
                    d = tx.detail()
                    d["memos"] = int(d.get("memos", 0)) + 1
                    updated += 1
        return added, updated

    def import_memos(self, memos: Sequence[Mapping[str, object]]) -> int:
        """Add memos on the project, codes and documents in one all-or-nothing transaction.

        Each memo is a mapping with ``coder``, ``target_kind`` (:data:`MEMO_KINDS`),
        ``target`` and ``text``, and optionally ``created`` and ``modified`` (UTC ISO 8601;
        now when absent). Each is logged as an action of its own coder (kind ``import``).
        A memo whose coder already has one on the same target is appended to it, so
        nothing is lost. Return the number of memos added or extended.
        """
        now = utc_now()
        changed = 0
        with self._write("cmqual-import", "import") as tx:
            for memo in memos:
                kind, target = str(memo["target_kind"]), str(memo["target"])
                coder, text = str(memo["coder"]), str(memo["text"])
                if kind not in MEMO_KINDS:
                    raise ProjectError(f"memo target must be one of {', '.join(MEMO_KINDS)}, "
                                       f"not {kind!r}")
                if not text:
                    continue
                tx.actor = coder
                created = str(memo.get("created") or now)
                modified = str(memo.get("modified") or created)
                row = self._conn.execute(
                    "SELECT id, text FROM memos WHERE target_kind = ? AND target = ? "
                    "AND coder = ?", (kind, target, coder)).fetchone()
                if row is None:
                    tx.insert("memos", {"coder": coder, "target_kind": kind, "target": target,
                                        "text": text, "created": created,
                                        "modified": modified})
                elif not tx.update("memos", int(row[0]), {"text": _join_memos(row[1], text),
                                                          "modified": now}):
                    continue
                d = tx.detail()
                d["memos"] = int(d.get("memos", 0)) + 1
                changed += 1
        return changed

    def replace_auto_codings(self, codings: Sequence[Mapping[str, object]], *, coder: str,
                             origin: str, codebook_hashes: Collection[str]) -> tuple[int, int]:
        """Replace the automatic codings of ``coder``/``origin`` for some codebook hashes.

        One transaction: delete every stored coding with this coder, origin and one of
        ``codebook_hashes``, then insert ``codings``. Logged (kind ``auto``) but not
        undoable, since it would double the store's size for rows the auto-coder can
        reproduce. Return ``(removed, added)``.
        """
        if origin not in AUTO_ORIGINS:
            raise ProjectError(f"origin must be one of {', '.join(AUTO_ORIGINS)}, not "
                               f"{origin!r}")
        now = utc_now()
        hashes = sorted(set(codebook_hashes))
        clause, params = _in("codebook_hash", hashes)
        with self._write(coder, "auto", record=False) as tx:
            removed = self._conn.execute(
                "DELETE FROM codings WHERE coder = ? AND origin = ?" + clause,
                [coder, origin, *params]).rowcount
            fixed = {"coder": coder, "origin": origin}
            rows = [[fixed.get(k, c.get(k, "")) for k in _CODING_FIELDS] + [now, now]
                    for c in codings]
            self._conn.executemany(
                f"INSERT INTO codings ({', '.join(_CODING_FIELDS)}, created, modified) "
                f"VALUES ({', '.join('?' for _ in range(len(_CODING_FIELDS) + 2))})", rows)
            tx.action_id()
            tx.detail().update(origin=origin, codebook_hashes=hashes, removed=removed,
                               added=len(rows))
        return removed, len(rows)

    def find_coding_ids(self, *, doc_id: str | None = None, start: int | None = None,
                        end: int | None = None, code: str | None = None,
                        coder: str | None = None,
                        origins: Collection[str] | None = None) -> list[int]:
        """Ids of the codings matching every given field, in id order."""
        sql = "SELECT id FROM codings WHERE 1"
        params: list[object] = []
        for column, value in (("doc_id", doc_id), ("start_offset", start),
                              ("end_offset", end), ("code", code), ("coder", coder)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        clause, extra = _in("origin", origins)
        return [int(r[0]) for r in self._query(sql + clause + " ORDER BY id",
                                               [*params, *extra])]

    def codings_frame(self, *, coders: Collection[str] | None = None,
                      origins: Collection[str] | None = None,
                      doc_ids: Collection[str] | None = None,
                      codes: Collection[str] | None = None,
                      coding_ids: Collection[int] | None = None) -> pd.DataFrame:
        """Stored codings as a DataFrame with :data:`STORE_COLUMNS`, in id order."""
        sql = ("SELECT id, doc_id, doc_sha256, start_offset, end_offset, text, code, coder, "
               "origin, memo, level, pattern, codebook_hash, created, modified "
               "FROM codings WHERE 1")
        params: list[object] = []
        for column, values in (("coder", coders), ("origin", origins), ("doc_id", doc_ids),
                               ("code", codes), ("id", coding_ids)):
            clause, extra = _in(column, values)
            sql += clause
            params += extra
        rows = self._query(sql + " ORDER BY id", params)
        frame = pd.DataFrame.from_records(rows, columns=list(STORE_COLUMNS))
        return frame.astype(STORE_COLUMNS)

    def doc_versions(self) -> list[tuple[str, str, int]]:
        """``(doc_id, doc_sha256, number of codings)`` for every document version coded."""
        return [(str(d), str(s), int(n)) for d, s, n in self._query(
            "SELECT doc_id, doc_sha256, COUNT(*) FROM codings GROUP BY doc_id, doc_sha256 "
            "ORDER BY doc_id, doc_sha256")]

    def counts(self) -> list[tuple[str, str, int]]:
        """``(origin, coder, number of codings)``, sorted."""
        return [(str(o), str(c), int(n)) for o, c, n in self._query(
            "SELECT origin, coder, COUNT(*) FROM codings GROUP BY origin, coder "
            "ORDER BY origin, coder")]

    def coders(self) -> list[str]:
        """Everyone who has coded, written a memo, rejected a suggestion or has a position,
        sorted."""
        return [str(r[0]) for r in self._query(
            "SELECT coder FROM codings UNION SELECT coder FROM memos "
            "UNION SELECT coder FROM rejections UNION SELECT coder FROM positions ORDER BY 1")]

    # -- memos ----------------------------------------------------------------------------
    def set_memo(self, target_kind: str, target: str, coder: str, text: str) -> None:
        """Write (or with ``text=""`` delete) a coder's memo on the project, a code or a
        document, in one undoable transaction."""
        if target_kind not in MEMO_KINDS:
            raise ProjectError(f"memo target must be one of {', '.join(MEMO_KINDS)}, not "
                               f"{target_kind!r}")
        now = utc_now()
        with self._write(coder, "memo") as tx:
            row = self._conn.execute(
                "SELECT id FROM memos WHERE target_kind = ? AND target = ? AND coder = ?",
                (target_kind, target, coder)).fetchone()
            if row is None and text:
                tx.insert("memos", {"coder": coder, "target_kind": target_kind,
                                    "target": target, "text": text, "created": now,
                                    "modified": now})
            elif row is not None and text:
                tx.update("memos", int(row[0]), {"text": text, "modified": now})
            elif row is not None:
                tx.delete("memos", int(row[0]))
            tx.detail().update(target_kind=target_kind, target=target)

    def memos_frame(self, *, coders: Collection[str] | None = None,
                    target_kinds: Collection[str] | None = None) -> pd.DataFrame:
        """Memos as a DataFrame with :data:`MEMO_COLUMNS`, sorted by target and coder."""
        sql = ("SELECT id, coder, target_kind, target, text, created, modified FROM memos "
               "WHERE 1")
        params: list[object] = []
        for column, values in (("coder", coders), ("target_kind", target_kinds)):
            clause, extra = _in(column, values)
            sql += clause
            params += extra
        rows = self._query(sql + " ORDER BY target_kind, target, coder", params)
        return pd.DataFrame.from_records(rows, columns=list(MEMO_COLUMNS)).astype(MEMO_COLUMNS)

    # -- rejected suggestions -------------------------------------------------------------
    def add_rejections(self, rejections: Iterable[Mapping[str, object]], *,
                       coder: str) -> int:
        """Record ``coder``'s rejection of suggestion hits in one undoable transaction.

        Each rejection is a mapping with doc_id, doc_sha256, start_offset, end_offset, code
        and text (the keys of the ``rejections`` table except id, coder and created). A hit
        the coder has already rejected in the same document version is not stored twice.
        Logged as an action of ``coder`` (kind ``reject``) when anything was added; return
        the number added.
        """
        now = utc_now()
        added: list[int] = []
        docs: set[str] = set()
        with self._write(coder, "reject") as tx:
            for rejection in rejections:
                values = {k: rejection[k] for k in _REJECTION_FIELDS}
                if self._conn.execute(
                        "SELECT 1 FROM rejections WHERE coder = ? AND "
                        + " AND ".join(f"{k} = ?" for k in _REJECTION_KEY),
                        [coder, *(values[k] for k in _REJECTION_KEY)]).fetchone():
                    continue
                added.append(tx.insert("rejections", {"coder": coder, **values,
                                                      "created": now}))
                docs.add(str(values["doc_id"]))
            if added:
                tx.detail().update(rejections=added, doc_ids=sorted(docs))
        return len(added)

    def rejections_frame(self, *, coders: Collection[str] | None = None,
                         doc_ids: Collection[str] | None = None) -> pd.DataFrame:
        """Stored rejections of every document version as a DataFrame with
        :data:`REJECTION_COLUMNS`, in id order."""
        sql = ("SELECT id, coder, doc_id, doc_sha256, start_offset, end_offset, code, text, "
               "created FROM rejections WHERE 1")
        params: list[object] = []
        for column, values in (("coder", coders), ("doc_id", doc_ids)):
            clause, extra = _in(column, values)
            sql += clause
            params += extra
        rows = self._query(sql + " ORDER BY id", params)
        frame = pd.DataFrame.from_records(rows, columns=list(REJECTION_COLUMNS))
        return frame.astype(REJECTION_COLUMNS)

    # -- positions ------------------------------------------------------------------------
    def set_position(self, coder: str, doc_id: str, segment_id: str = "",
                     start: int | None = None) -> None:
        """Remember the last segment ``coder`` visited (not logged: it is not an edit)."""
        with self._write(coder, "position", record=False) as tx:
            tx.conn.execute(
                "INSERT INTO positions (coder, doc_id, segment_id, start_offset, modified) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (coder) DO UPDATE SET "
                "doc_id = excluded.doc_id, segment_id = excluded.segment_id, "
                "start_offset = excluded.start_offset, modified = excluded.modified",
                (coder, doc_id, segment_id, start, utc_now()))

    def position(self, coder: str) -> Position | None:
        """The position saved for ``coder``, or ``None``."""
        rows = self._query("SELECT coder, doc_id, segment_id, start_offset, modified "
                           "FROM positions WHERE coder = ?", (coder,))
        if not rows:
            return None
        c, d, s, start, m = rows[0]
        return Position(c, d, s, None if start is None else int(start), m)

    # -- machine records ------------------------------------------------------------------
    def record(self, key: str) -> str | None:
        """The machine record stored under ``key``, or ``None`` when there is none.

        Examples
        --------
        >>> store.record("suggest-run:alice")  # doctest: +SKIP
        '{"coder": "alice", ...}'
        """
        rows = self._query("SELECT value FROM records WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_record(self, key: str, value: str | Callable[[str | None], str | None] | None, *,
                   actor: str) -> bool:
        """Store ``value`` as the machine record ``key`` (``None`` deletes the record).

        A machine record is what one of cmqual's programs keeps about its own runs (for
        instance ``cmqual suggest``'s run record of a coder, key ``suggest-run:<coder>``):
        not a researcher's text, so it is never among the memos, never exported, and has
        no coder. Name keys ``<program>:<subject>``; the value is text (usually JSON) that
        only its program reads. One ``BEGIN IMMEDIATE`` transaction, logged as an action
        of ``actor`` (kind ``record``, detail ``key`` and ``change``: ``created``,
        ``replaced`` or ``deleted``) that cannot be undone (see Undo); writing the value
        already stored changes and logs nothing.

        Parameters
        ----------
        key : str
            The record's name (not empty).
        value : str, None or callable
            Its new text, None to delete it, or a function of the current text (None when
            there is none) returning the new one: it runs inside the transaction, so two
            processes updating one record cannot lose each other's changes.
        actor : str
            Who writes it, for the audit trail (e.g. ``cmqual-suggest:alice``).

        Returns
        -------
        bool
            Whether anything changed.

        Examples
        --------
        >>> store.set_record("suggest-run:alice", '{"coder": "alice"}',
        ...                  actor="cmqual-suggest:alice")  # doctest: +SKIP
        True
        """
        if not isinstance(key, str) or not key:
            raise ProjectError(f"a record key must be a non-empty string, not {key!r}")
        if value is not None and not isinstance(value, str) and not callable(value):
            raise ProjectError(f"record {key!r}: the value must be a string or None, not "
                               f"{type(value).__name__}")
        with self._write(actor, "record", record=False) as tx:
            row = self._conn.execute("SELECT value FROM records WHERE key = ?",
                                     (key,)).fetchone()
            current = None if row is None else row[0]
            if callable(value):  # read-modify-write under the write lock
                value = value(current)
                if value is not None and not isinstance(value, str):
                    raise ProjectError(f"record {key!r}: the update must return a string or "
                                       f"None, not {type(value).__name__}")
            if value == current:
                return False
            if value is None:
                self._conn.execute("DELETE FROM records WHERE key = ?", (key,))
                change = "deleted"
            else:
                self._conn.execute(
                    "INSERT INTO records (key, value, modified) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                    "modified = excluded.modified", (key, value, utc_now()))
                change = "created" if current is None else "replaced"
            tx.action_id()
            tx.detail().update(key=key, change=change)
        return True

    # -- audit trail and undo -------------------------------------------------------------
    def actions_frame(self, coder: str | None = None) -> pd.DataFrame:
        """The audit trail (newest last) as a DataFrame with ``ACTION_COLUMNS``."""
        sql = "SELECT id, coder, kind, detail, created, undoable, undone_by FROM actions"
        params: tuple = ()
        if coder is not None:
            sql += " WHERE coder = ?"
            params = (coder,)
        rows = self._query(sql + " ORDER BY id", params)
        frame = pd.DataFrame.from_records(rows, columns=list(ACTION_COLUMNS))
        return frame.astype({**ACTION_COLUMNS, "undoable": "int64"}).astype(ACTION_COLUMNS)

    def undo(self, coder: str) -> UndoResult | None:
        """Reverse ``coder``'s most recent action not yet undone; ``None`` if there is none.

        Rows another action has changed since are left alone and listed in
        :attr:`UndoResult.skipped`.
        """
        # An undo keeps its row images (the audit trail shows what it restored) but is not
        # itself undoable: there is no redo.
        with self._write(coder, "undo", undoable=False) as tx:
            row = self._conn.execute(
                "SELECT id, coder, kind, detail, created FROM actions WHERE coder = ? "
                "AND undoable = 1 AND undone_by IS NULL "
                "ORDER BY id DESC LIMIT 1", (coder,)).fetchone()
            if row is None:
                return None
            action = Action(int(row[0]), row[1], row[2],
                            MappingProxyType(json.loads(row[3])), row[4])
            changes = self._conn.execute(
                "SELECT tbl, row_id, before, after FROM changes WHERE action_id = ? "
                "ORDER BY id DESC", (action.id,)).fetchall()
            restored = 0
            skipped: list[str] = []
            for table, row_id, before, after in changes:
                what = f"{table[:-1]} {row_id}"
                current = _image(self._conn, table, row_id)
                if current != (None if after is None else json.loads(after)):
                    skipped.append(f"{what} was changed by a later action")
                    continue
                self._conn.execute("SAVEPOINT undo_row")
                try:
                    self._restore(tx, table, row_id, None if before is None
                                  else json.loads(before))
                except sqlite3.IntegrityError:
                    # e.g. the coder has since coded the same span again
                    self._conn.execute("ROLLBACK TO undo_row")
                    skipped.append(f"{what} would duplicate a row added since")
                else:
                    restored += 1
                self._conn.execute("RELEASE undo_row")
            tx.detail().update(undid=action.id, kind=action.kind, restored=restored,
                               skipped=len(skipped))
            self._conn.execute("UPDATE actions SET undone_by = ? WHERE id = ?",
                               (tx.action_id(), action.id))
            return UndoResult(action, restored, tuple(skipped))

    @staticmethod
    def _restore(tx: _Transaction, table: str, row_id: int,
                 before: dict[str, object] | None) -> None:
        if before is None:
            tx.delete(table, row_id)
        elif _image(tx.conn, table, row_id) is None:
            tx.insert(table, before)
        else:
            tx.update(table, row_id, {k: v for k, v in before.items() if k != "id"})


def _join_memos(first: str, second: str) -> str:
    if not second or second == first:
        return first
    if not first:
        return second
    return f"{first}\n\n{second}"


# -- schema creation and migrations -------------------------------------------------------------
def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated DDL inside the open transaction (``executescript`` would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Schema 1 → 2: the ``rejections`` and ``records`` tables, filled from the
    pseudo-coder memos."""
    _run_script(conn, _REJECTIONS_SCHEMA)
    _run_script(conn, _RECORDS_SCHEMA)
    # SQLite cannot alter a CHECK constraint, so ``changes`` is rebuilt: create the new
    # table, copy the rows with their ids, drop the old one, rename the new one
    # (https://www.sqlite.org/lang_altertable.html#otheralter). Nothing references
    # ``changes``, so the rename touches no other table; its own foreign key is re-created.
    sequence = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchall()
    _run_script(conn, _changes_schema("changes_v2"))
    conn.execute("INSERT INTO changes_v2 (id, action_id, tbl, row_id, before, after) "
                 "SELECT id, action_id, tbl, row_id, before, after FROM changes ORDER BY id")
    conn.execute("DROP TABLE changes")
    conn.execute("ALTER TABLE changes_v2 RENAME TO changes")
    conn.execute("CREATE INDEX changes_action ON changes (action_id)")
    conn.execute("DELETE FROM sqlite_sequence WHERE name = 'changes'")  # ids go on as before
    conn.executemany("INSERT INTO sqlite_sequence (name, seq) VALUES ('changes', ?)", sequence)

    moved: list[int] = []
    rows: list[tuple[object, ...]] = []
    for memo_id, coder, doc_id, text, modified in conn.execute(
            "SELECT id, coder, target, text, modified FROM memos "
            "WHERE target_kind = 'document' ORDER BY id").fetchall():
        if not coder.endswith(_V1_REJECTIONS_SUFFIX):
            continue
        moved.append(int(memo_id))
        owner = coder[: -len(_V1_REJECTIONS_SUFFIX)]
        if owner and doc_id:
            rows += [(owner, doc_id, *entry, modified) for entry in _v1_rejections(text)]
    conn.executemany(
        "INSERT OR IGNORE INTO rejections (coder, doc_id, doc_sha256, start_offset, "
        "end_offset, code, text, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    added = conn.execute("SELECT COUNT(*) FROM rejections").fetchone()[0]

    records: dict[str, tuple[str, str]] = {}
    # Oldest first, so a coder's newest record wins should there be two.
    for memo_id, coder, text, modified in conn.execute(
            "SELECT id, coder, text, modified FROM memos WHERE target_kind = 'project' "
            "ORDER BY modified, id").fetchall():
        if not coder.startswith(_V1_SUGGEST_PREFIX):
            continue
        moved.append(int(memo_id))
        owner = coder[len(_V1_SUGGEST_PREFIX):]
        if owner:
            records[_SUGGEST_RECORD_PREFIX + owner] = (_v1_record(text), modified)
    conn.executemany("INSERT INTO records (key, value, modified) VALUES (?, ?, ?)",
                     [(key, value, modified) for key, (value, modified) in records.items()])
    marks = ", ".join("?" for _ in moved)
    closed = conn.execute(
        "UPDATE actions SET undoable = 0 WHERE undoable = 1 AND id IN (SELECT action_id "
        f"FROM changes WHERE tbl = 'memos' AND row_id IN ({marks}))", moved).rowcount
    conn.execute(f"DELETE FROM memos WHERE id IN ({marks})", moved)
    conn.execute(
        "INSERT INTO actions (coder, kind, detail, created, undoable) "
        "VALUES ('cmqual', 'migrate', ?, ?, 0)",
        (_dumps({"schema": [1, 2], "rejections": added, "records": len(records),
                 "memos_removed": len(moved), "actions_no_longer_undoable": closed}),
         utc_now()))


def _v1_record(text: str) -> str:
    """The JSON of a schema-1 run-record memo: its text after the header line.

    A memo without the header (someone retyped it) is kept whole; what is not JSON is kept
    as it is too, and :func:`cmqual.suggest.read_record` reads it as no record.
    """
    header, _, body = text.partition("\n")
    return body if header == _V1_RECORD_HEADER else text


def _v1_rejections(text: str) -> list[tuple[str, int, int, str, str]]:
    """``(doc_sha256, start, end, code, quote)`` of each entry of a schema-1 rejections memo.

    Lines that are not such an entry (the header, or text someone typed) are skipped, and
    so are entries that could never have matched a hit (offsets that are not whole numbers
    with ``0 <= start < end``, an empty code).
    """
    found = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(entry, dict):
            continue
        start, end, code = entry.get("start"), entry.get("end"), entry.get("code")
        if (type(start) is int and type(end) is int and 0 <= start < end
                and isinstance(code, str) and code):
            found.append((str(entry.get("sha256") or ""), start, end, code,
                          str(entry.get("text") or "")))
    return found
