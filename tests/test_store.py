"""The project store's guarantees: durability under SIGKILL, concurrent writers, schema
versions and migrations, undo that never touches another coder's work, rejected
suggestions."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmqual.errors import CmqualWarning, ProjectError
from cmqual.project import init_project, open_project
from cmqual.store import SCHEMA_VERSION, Store
from cmqual.suggest import read_record
from conftest import copy_project_data

DATA = Path(__file__).resolve().parent / "data" / "project"


def make_project_folder(tmp_path: Path) -> Path:
    copy_project_data(DATA, tmp_path)
    init_project(tmp_path / "proj", tmp_path / "corpus", [tmp_path / "codebook.yaml"]).close()
    return tmp_path / "proj"


@pytest.fixture
def project(tmp_path):
    with open_project(make_project_folder(tmp_path)) as p:
        yield p


def test_store_pragmas_wal_full_sync_foreign_keys(project):
    conn = project.store._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert project.store.schema_version == SCHEMA_VERSION
    assert project.store.integrity_check() == "ok"


# -- SIGKILL in the middle of writing ----------------------------------------------------------
# Writers run in child processes. Where the platform allows, they are forked from the test
# process, so they do not pay cmqual's import time again; each reports ("acks") a coding
# only after the call that stored it has returned, like a widget updating its display.
def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _coding_writer(folder: str, acks) -> None:
    project = open_project(folder)
    codes = ["mini/resourcing", "mini/power", "mini/power/assessment", "mini/observation"]
    n = len(project.corpus.texts["p01"]) - 1
    i = 0
    while True:
        start, code, coder = i % n, codes[i // n % 4], f"k{i // (4 * n)}"
        cid = project.code("p01", start, start + 1, code, coder, memo=f"m{i}")
        acks.send(f"ack {cid} {start} {code} {coder} m{i}")
        i += 1


def _bulk_writer(folder: str, acks) -> None:
    import pandas as pd

    project = open_project(folder)
    text = project.corpus.texts["p01"]
    i = 0
    while True:
        size = 300 + i
        rows = [{"doc_id": "p01", "start": j % 200, "end": j % 200 + 3,
                 "text": text[j % 200:j % 200 + 3], "code": "mini/resourcing",
                 "codebook_hash": "h1", "pattern": str(j)} for j in range(size)]
        project.add_auto_codings(pd.DataFrame(rows))
        acks.send(f"ack {size}")
        i += 1


def _run_and_kill(target, folder: Path, wanted: int) -> list[str]:
    """Start ``target`` writing, SIGKILL it after ``wanted`` acks; return every ack sent."""
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(str(folder), sender), daemon=True)
    proc.start()
    sender.close()
    acks: list[str] = []
    try:
        while len(acks) < wanted:
            assert receiver.poll(60), "the writer did not acknowledge codings in time"
            acks.append(receiver.recv())
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # mid-loop: most likely inside a write
        proc.join(timeout=30)
    assert proc.exitcode == -signal.SIGKILL
    while receiver.poll(0.1):  # acks sent before the kill count too
        try:
            acks.append(receiver.recv())
        except EOFError:
            break
    receiver.close()
    return acks


def test_sigkill_mid_write_loses_no_acknowledged_coding(tmp_path):
    folder = make_project_folder(tmp_path)
    acks = _run_and_kill(_coding_writer, folder, 40)
    with open_project(folder) as project:
        assert project.store.integrity_check() == "ok"
        table = project.codings().set_index("coding_id")
        for ack in acks:
            _, cid, start, code, coder, memo = ack.split()
            row = table.loc[int(cid)]
            assert (row["start"], row["code"], row["coder"], row["memo"]) == (
                int(start), code, coder, memo)
        assert len(table) in (len(acks), len(acks) + 1)  # at most one unacknowledged commit
        project.code("p02", 0, 5, "mini/power", "after-crash")  # still writable


def test_sigkill_during_bulk_replace_leaves_old_or_new_set(tmp_path):
    folder = make_project_folder(tmp_path)
    acks = _run_and_kill(_bulk_writer, folder, 3)
    last = int(acks[-1].split()[1])
    with open_project(folder) as project:
        assert project.store.integrity_check() == "ok"
        n = len(project.store.codings_frame(origins=["auto"]))
    assert n in (last, last + 1)  # the acknowledged set, or the next one complete


# -- two processes at once -------------------------------------------------------------------
def _concurrent_writer(folder: str, coder: str, n: int, barrier, results) -> None:
    project = open_project(folder)
    text_len = len(project.corpus.texts["p01"])
    barrier.wait()
    ids = [project.code("p01", i % (text_len - 1), i % (text_len - 1) + 1, "mini/power", coder)
           for i in range(n)]
    project.close()
    results.put((coder, ids))


def test_two_processes_coding_at_once_lose_nothing(tmp_path):
    folder = make_project_folder(tmp_path)
    ctx = _context()
    barrier, results = ctx.Barrier(2), ctx.Queue()
    n = 40
    procs = [ctx.Process(target=_concurrent_writer, args=(str(folder), c, n, barrier, results))
             for c in ("ana", "ben")]
    for p in procs:
        p.start()
    got = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    with open_project(folder) as project:
        table = project.codings()
        assert project.store.integrity_check() == "ok"
    assert len(table) == 2 * n
    for coder, ids in got.items():
        mine = table[table["coder"] == coder]
        assert sorted(mine["coding_id"]) == sorted(ids) and len(set(ids)) == n


# -- schema versions -------------------------------------------------------------------------
def test_store_from_newer_cmqual_is_refused_with_upgrade_hint(project):
    path = project.store.path
    project.close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ProjectError, match="newer cmqual") as info:
        open_project(project.root)
    assert "upgrade cmqual" in str(info.value)
    assert f"version {SCHEMA_VERSION + 1}" in str(info.value)


def _schema(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every table's columns (with their types and constraints) and every index's columns."""
    names = conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                         "ORDER BY name").fetchall()
    return {n: conn.execute(f"PRAGMA {'table' if k == 'table' else 'index'}_info({n})")
            .fetchall() for k, n in names}


def test_a_new_store_is_created_at_the_current_version(project):
    assert project.store.schema_version == SCHEMA_VERSION == 2
    assert project.actions().empty  # nothing to migrate, nothing logged
    sql = dict(project.store._conn.execute("SELECT name, sql FROM sqlite_master").fetchall())
    assert "'rejections'" in sql["changes"]
    assert "UNIQUE (coder, doc_id, doc_sha256, start_offset, end_offset, code)" in sql[
        "rejections"]


def test_a_schema_1_store_moves_its_pseudo_coder_memos_to_rejections_and_records(tmp_path):
    folder = make_project_folder(tmp_path)
    with sqlite3.connect(folder / "store.sqlite") as conn:
        fresh = _schema(conn)
    conn.close()
    for path in folder.glob("store.sqlite*"):
        path.unlink()
    # A store as cmqual wrote it before the rejections table (see the fixture's header).
    with sqlite3.connect(folder / "store.sqlite") as conn:
        conn.executescript((DATA / "store_v1.sql").read_text(encoding="utf-8"))
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        changes_v1 = conn.execute("SELECT * FROM changes ORDER BY id").fetchall()
        (record_memo,) = conn.execute("SELECT text FROM memos WHERE target_kind = 'project' "
                                      "AND coder = 'cmqual-suggest:alice'").fetchone()
    conn.close()
    header, record_json = record_memo.split("\n", 1)
    assert header.startswith("cmqual-suggest run record") and record_json.startswith("{")
    with open_project(folder) as project:
        store, conn = project.store, project.store._conn
        assert store.schema_version == SCHEMA_VERSION and store.integrity_check() == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert _schema(conn) == fresh  # the same tables, columns and indexes as a new store
        assert conn.execute("SELECT * FROM changes ORDER BY id").fetchall() == changes_v1
        # The pseudo-coders' memos are gone; the rows belong to the real coders.
        assert project.memos()[["coder", "text"]].values.tolist() == [
            ["alice", "Check the date."]]
        p02 = project.corpus.document("p02").sha256
        moved = store.rejections_frame()
        assert moved[["coder", "doc_id", "start", "end", "code", "text"]].values.tolist() == [
            ["alice", "p01", 107, 119, "mini/power", "line manager"],
            ["alice", "p01", 138, 148, "mini/power/assessment", "assessment"],
            ["bob", "p02", 60, 66, "mini/power/assessment", "graded"],
            ["bob", "p02", 60, 66, "mini/power/assessment", "graded"],
        ]
        assert moved["doc_sha256"].tolist()[3] == p02 != moved["doc_sha256"].tolist()[2]
        assert project.rejections("bob")["doc_sha256"].tolist() == [p02]  # the other is stale
        assert len(project.rejections("alice")) == 2
        assert project.coders() == ["alice", "bob"]
        # The run record of cmqual suggest is a store record now, its JSON unchanged.
        assert store.record("suggest-run:alice") == record_json
        record = read_record(project, "alice")
        assert record["coder"] == "alice" and record["cmqual"] == "0.1.0"
        assert record["models"]["mini/resourcing"]["status"] == "too few positives (1 < 10)"
        assert read_record(project, "bob") == {}
        # Actions that wrote the pseudo-coders' memos can no longer bring them back.
        actions = project.actions()
        pseudo = actions["coder"].str.endswith(" (rejected suggestions)")
        assert pseudo.sum() == 4 and not actions.loc[pseudo, "undoable"].any()
        suggester = actions[actions["coder"] == "cmqual-suggest:alice"]
        assert suggester["kind"].tolist() == ["auto", "memo"]
        assert not suggester["undoable"].any()
        assert actions["kind"].iloc[-1] == "migrate" and not actions["undoable"].iloc[-1]
        assert json.loads(actions["detail"].iloc[-1]) == {
            "schema": [1, 2], "rejections": 4, "records": 1, "memos_removed": 3,
            "actions_no_longer_undoable": 5}
        assert project.undo("alice (rejected suggestions)") is None
        assert project.undo("cmqual-suggest:alice") is None
        # Undo works afterwards, for new rejections and for the coder's older actions.
        assert project.reject("p01", [(60, 85, "mini/power")], coder="alice") == 1
        assert project.undo("alice").action.kind == "reject"
        assert len(project.rejections("alice")) == 2
        assert project.undo("alice").action.kind == "memo" and project.memos().empty
        assert project.undo("alice").action.kind == "code" and project.codings().empty
        assert store.integrity_check() == "ok"
    with open_project(folder) as project:  # migrated once only
        assert (project.actions()["kind"] == "migrate").sum() == 1


def test_a_failed_migration_leaves_the_schema_1_store_as_it_was(tmp_path):
    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript((DATA / "store_v1.sql").read_text(encoding="utf-8"))
        conn.execute("CREATE TABLE rejections (x)")  # in the way of the migration
    conn.close()
    with pytest.raises(ProjectError, match="rejections already exists"):
        Store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM memos").fetchone()[0] == 4
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'records'"
                            ).fetchall() == []
        assert "'rejections'" not in conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'changes'").fetchone()[0]
    conn.close()


def test_project_yaml_from_newer_cmqual_is_refused(project):
    config = project.root / "project.yaml"
    config.write_text(config.read_text().replace("cmqual_project: 1", "cmqual_project: 7"))
    with pytest.raises(ProjectError, match="upgrade cmqual"):
        open_project(project.root)


def test_other_files_are_not_taken_for_a_store(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all, just text" * 50)
    with pytest.raises(ProjectError, match="not a cmqual project store"):
        Store(junk)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    with pytest.raises(ProjectError, match="has tables notes"):
        Store(other)
    with pytest.raises(ProjectError, match="does not exist"):
        Store(tmp_path / "missing.sqlite")


# -- undo ------------------------------------------------------------------------------------
def test_undo_is_per_coder_and_never_touches_other_coders(project):
    a = project.code("p01", 60, 85, "mini/resourcing", "ana")
    b = project.code("p01", 60, 85, "mini/resourcing", "ben")
    a2 = project.code("p01", 86, 149, "mini/power", "ana")
    assert project.undo("ana").action.detail["coding"] == a2
    assert set(project.codings()["coding_id"]) == {a, b}
    assert project.undo("ana").action.detail["coding"] == a
    assert project.undo("ana") is None
    assert list(project.codings()["coding_id"]) == [b]


def test_undo_steps_back_through_code_memo_uncode(project):
    cid = project.code("p01", 60, 85, "mini/resourcing", "ana")
    project.memo("first thought", coder="ana", coding=cid)
    project.uncode(cid)
    assert project.codings().empty
    assert project.undo("ana").action.kind == "uncode"
    assert project.codings()["memo"].tolist() == ["first thought"]
    assert project.undo("ana").action.kind == "memo"
    assert project.codings()["memo"].tolist() == [""]
    assert project.undo("ana").action.kind == "code"
    assert project.codings().empty
    kinds = project.actions("ana")[["kind", "undone_by"]]
    assert kinds["kind"].tolist() == ["code", "memo", "uncode", "undo", "undo", "undo"]
    assert kinds["undone_by"].notna().sum() == 3


def test_undo_leaves_rows_another_coder_changed_since(project):
    cid = project.code("p01", 60, 85, "mini/resourcing", "ana")
    project.memo("lead's note", coder="lead", coding=cid)  # a later action by someone else
    with pytest.warns(CmqualWarning, match="changed by a later action"):
        result = project.undo("ana")
    assert result.restored == 0 and len(result.skipped) == 1
    assert project.codings()["memo"].tolist() == ["lead's note"]
    assert project.undo("lead").action.kind == "memo"
    assert project.codings()["memo"].tolist() == [""]


def test_rejections_are_stored_once_logged_and_undone_per_coder(project):
    hits = [(107, 119, "mini/power"), (138, 148, "mini/power/assessment")]
    assert project.reject("p01", hits, coder="ana") == 2
    assert project.reject("p01", hits[:1], coder="ana") == 0  # already rejected
    assert project.reject("p01", hits[:1], coder="ben") == 1
    table = project.rejections("ana")
    assert table[["start", "end", "code", "text"]].values.tolist() == [
        [107, 119, "mini/power", "line manager"],
        [138, 148, "mini/power/assessment", "assessment"]]
    actions = project.actions("ana")
    assert actions["kind"].tolist() == ["reject"]  # the repeat wrote nothing
    assert json.loads(actions["detail"].iloc[0]) == {
        "doc_ids": ["p01"], "rejections": table["rejection_id"].tolist()}
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):  # the table enforces it too
        project.store._conn.execute(
            "INSERT INTO rejections (coder, doc_id, doc_sha256, start_offset, end_offset, "
            "code, text, created) SELECT coder, doc_id, doc_sha256, start_offset, end_offset, "
            "code, text, created FROM rejections WHERE coder = 'ana'")
    result = project.undo("ana")
    assert (result.action.kind, result.restored, result.skipped) == ("reject", 2, ())
    assert project.rejections("ana").empty and len(project.rejections("ben")) == 1
    assert project.memos().empty


def test_a_rejection_of_an_older_text_no_longer_applies(project):
    project.reject("p01", [(107, 119, "mini/power")], coder="ana")
    path = project.corpus_path / "p01.txt"
    path.write_text(path.read_text(encoding="utf-8") + "Asha: One more line.\n",
                    encoding="utf-8")
    project.reload()
    assert project.rejections("ana").empty
    assert len(project.store.rejections_frame(coders=["ana"])) == 1  # kept, but stale
    assert project.reject("p01", [(107, 119, "mini/power")], coder="ana") == 1  # new text
    assert project.rejections("ana")["doc_sha256"].tolist() == [
        project.corpus.document("p01").sha256]


def test_records_are_kept_apart_from_memos_and_meta_logged_and_not_undone(project):
    store = project.store
    meta = store._conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall()
    assert store.record("tool:alice") is None
    assert store.set_record("tool:alice", '{"n": 1}', actor="cmqual-tool:alice")
    assert not store.set_record("tool:alice", '{"n": 1}', actor="cmqual-tool:alice")
    assert store.set_record("tool:alice", '{"n": 2}', actor="cmqual-tool:alice")
    assert store.set_record("created", "not the store's creation time", actor="cmqual-tool:x")
    assert store.record("tool:alice") == '{"n": 2}'
    assert store.record("created") == "not the store's creation time"
    # Not a memo, not store metadata, no coder.
    assert project.memos().empty and project.coders() == []
    assert store._conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall() == meta
    actions = project.actions()
    assert actions["kind"].tolist() == ["record"] * 3 and not actions["undoable"].any()
    assert [json.loads(d) for d in actions["detail"]] == [
        {"key": "tool:alice", "change": "created"},
        {"key": "tool:alice", "change": "replaced"},
        {"key": "created", "change": "created"},
    ]
    assert project.undo("cmqual-tool:alice") is None
    assert store.record("tool:alice") == '{"n": 2}'
    assert store.set_record("tool:alice", None, actor="cmqual-tool:alice")
    assert not store.set_record("tool:alice", None, actor="cmqual-tool:alice")
    assert store.record("tool:alice") is None
    assert json.loads(project.actions()["detail"].iloc[-1])["change"] == "deleted"
    with pytest.raises(ProjectError, match="record key must be a non-empty string"):
        store.set_record("", "x", actor="cmqual-tool:alice")
    with pytest.raises(ProjectError, match="must be a string or None, not dict"):
        store.set_record("tool:alice", {"n": 3}, actor="cmqual-tool:alice")


def test_same_span_twice_is_one_coding(project):
    first = project.code("p01", 60, 85, "mini/resourcing", "ana")
    assert project.code("p01", 60, 85, "mini/resourcing", "ana") == first
    assert project.code("p01", 60, 85, "mini/resourcing", "ana", memo="why") == first
    assert project.codings()["memo"].tolist() == ["why"]
    assert len(project.actions("ana")) == 2  # the repeat wrote nothing; the memo did


_STEPS = st.lists(st.tuples(st.sampled_from(["ana", "ben"]),
                            st.sampled_from(["code", "uncode", "memo"]),
                            st.integers(0, 4)), max_size=20)


@settings(max_examples=25, deadline=None)
@given(steps=_STEPS)
def test_undoing_everything_of_one_coder_leaves_the_other_untouched(steps):
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.sqlite", create=True)
        store._conn.execute("PRAGMA synchronous = OFF")  # logic under test, not durability
        held: dict[tuple[str, int], int] = {}
        for n, (coder, kind, span) in enumerate(steps):
            cid = held.get((coder, span))
            if kind == "code":
                held[(coder, span)], _ = store.add_coding(
                    {"doc_id": "d", "doc_sha256": "h", "start_offset": span,
                     "end_offset": span + 2, "text": "ab", "code": "cb/x", "coder": coder,
                     "origin": "human"}, actor=coder)
            elif kind == "uncode" and cid is not None:
                store.remove_codings([cid], actor=coder)
                del held[(coder, span)]
            elif kind == "memo" and cid is not None:
                store.set_coding_memo(cid, f"memo {n}", actor=coder)
        ben_before = store.codings_frame(coders=["ben"])
        while (result := store.undo("ana")) is not None:
            assert not result.skipped
        assert store.codings_frame(coders=["ana"]).empty
        pd.testing.assert_frame_equal(store.codings_frame(coders=["ben"]), ben_before)
        assert store.integrity_check() == "ok"
        store.close()


def test_a_record_update_runs_on_the_current_value_inside_the_transaction(project):
    store = project.store
    seen = []

    def add(n):
        def update(current):
            seen.append(current)
            return json.dumps(sorted({*json.loads(current or "[]"), n}))
        return update

    assert store.set_record("tool:x", add(1), actor="cmqual-tool:x")
    # a second process's update sees the first's value, not a stale copy
    with open_project(project.root) as other:
        assert other.store.set_record("tool:x", add(2), actor="cmqual-tool:x")
    assert store.set_record("tool:x", add(3), actor="cmqual-tool:x")
    assert seen == [None, "[1]", "[1, 2]"] and store.record("tool:x") == "[1, 2, 3]"
    assert not store.set_record("tool:x", lambda current: current, actor="cmqual-tool:x")
    with pytest.raises(ProjectError, match="update must return a string or None, not int"):
        store.set_record("tool:x", lambda current: 5, actor="cmqual-tool:x")
    assert store.record("tool:x") == "[1, 2, 3]"
