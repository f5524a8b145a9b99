"""Where learned suggestions live in the project store, apart from human codings.

Codings
    One coding per suggested segment and code, with origin ``suggestion`` and coder
    ``cmqual-suggest:<coder>`` (:func:`suggester`), the human coder whose codings trained
    the model: each coder's suggestions are replaced only by their own next run. ``level``
    is the segment level, ``codebook_hash`` the code's codebook, and ``pattern`` reads
    ``learned model 3f2a9c1b0d4e, confidence 0.831`` (the coding widget shows it where
    it shows an auto-coder pattern). Origin ``suggestion`` is a machine origin, so
    :meth:`Project.codings` with ``include_auto=False``, reliability and reports leave
    these codings out; a suggestion the coder accepts in the widget becomes the coder's
    own coding with origin ``suggestion-accepted``.

Run record
    A machine record of the store (:meth:`cmqual.store.Store.record`), key
    ``suggest-run:<coder>`` (:func:`record_key`): JSON (sorted keys) with, per code, the
    model fingerprint, training size (positives, negatives, rejected), calibration, level,
    threshold, number suggested and when it was trained (UTC), and the cmqual and
    scikit-learn versions. A run replaces the entries and stored suggestions of the codes it
    was asked for and keeps the others. Writing it is logged in the audit trail as an action
    of ``cmqual-suggest:<coder>`` (kind ``record``, not undoable). It is not a memo, so it
    never shows among the project's memos nor in a REFI-QDA export; stores of schema 1 kept
    it as the project memo of ``cmqual-suggest:<coder>``, which opening them moves here (see
    :mod:`cmqual.store`, Migrations).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cmqual.codebook import codebook_hash, iter_codes
from cmqual.project import Project
from cmqual.store import utc_now

#: Coder name prefix of stored suggestions (see :func:`suggester`).
SUGGEST_CODER = "cmqual-suggest"
#: Origin of stored suggestions.
SUGGESTION_ORIGIN = "suggestion"
#: Key prefix of the run records in the store (see :func:`record_key`).
RECORD_PREFIX = "suggest-run"
_PATTERN = "learned model {model}, confidence {confidence:.3f}"
_PATTERN_RE = re.compile(r"learned model (?P<model>[0-9a-f]+), confidence "
                         r"(?P<confidence>[0-9.]+)")

#: Columns of :func:`read_suggestions`.
STORED_COLUMNS: dict[str, str] = {
    "coding_id": "int64",
    "doc_id": "string",
    "start": "int64",
    "end": "int64",
    "text": "string",
    "code": "string",
    "level": "string",
    "confidence": "float64",
    "model": "string",
    "stale": "bool",
}


def suggester(coder: str) -> str:
    """The coder name under which suggestions learned from ``coder`` are stored.

    Examples
    --------
    >>> suggester("alice")
    'cmqual-suggest:alice'
    """
    return f"{SUGGEST_CODER}:{coder}"


def record_key(coder: str) -> str:
    """The key of the store record holding the run record of ``coder``'s suggestions.

    Examples
    --------
    >>> record_key("alice")
    'suggest-run:alice'
    """
    return f"{RECORD_PREFIX}:{coder}"


def pattern_text(model: str, confidence: float) -> str:
    """The ``pattern`` field of a stored suggestion."""
    return _PATTERN.format(model=model, confidence=confidence)


def code_hashes(project: Project) -> dict[str, str]:
    """Code reference -> hash of its codebook (as :meth:`Project.code` records it)."""
    out: dict[str, str] = {}
    for book in project.codebooks:
        digest = codebook_hash(book)
        for code in iter_codes(book):
            out[code.ref] = digest
    return out


def store_suggestions(project: Project, coder: str, suggestions: pd.DataFrame,
                      run_codes: list[str], entries: Mapping[str, Mapping[str, Any]]) -> int:
    """Replace the stored suggestions of ``run_codes`` and update the run record.

    ``suggestions`` has doc_id, start, end, text, code, level, confidence and model;
    ``entries`` the run-record entry of each code of the run. Suggestions of other codes
    are kept (those of a codebook the run touches and whose document has changed since
    are dropped). Return the number of suggestions stored for ``run_codes``.
    """
    name = suggester(coder)
    hashes = code_hashes(project)
    new = pd.DataFrame({
        "doc_id": suggestions["doc_id"].astype(str),
        "start": suggestions["start"].astype("int64"),
        "end": suggestions["end"].astype("int64"),
        "text": suggestions["text"].astype(str),
        "code": suggestions["code"].astype(str),
        "level": suggestions["level"].astype(str),
        "pattern": [pattern_text(m, c) for m, c in zip(
            suggestions["model"].astype(str), suggestions["confidence"], strict=True)],
        "codebook_hash": [hashes.get(c, "") for c in suggestions["code"].astype(str)],
    })
    # The store replaces automatic codings per (coder, origin, codebook hash): for each
    # hash a run touches, put back the stored suggestions of codes it was not asked for.
    touched = sorted({hashes.get(c, "") for c in run_codes})
    old = project.store.codings_frame(coders=[name], origins=[SUGGESTION_ORIGIN])
    shas = {d.id: d.sha256 for d in project.corpus}
    keep = np.asarray([shas.get(d) == s and c not in run_codes and h in touched
                       for d, s, c, h in zip(old["doc_id"].astype(str),
                                             old["doc_sha256"].astype(str),
                                             old["code"].astype(str),
                                             old["codebook_hash"].astype(str), strict=True)],
                      dtype=bool)
    kept = old[keep][list(new.columns)] if len(old) else old[list(new.columns)]
    rows = pd.concat([new, kept.astype(new.dtypes.to_dict())], ignore_index=True)
    for digest in touched:
        part = rows[rows["codebook_hash"].astype(str) == digest]
        project.add_auto_codings(part.reset_index(drop=True), coder=name,
                                 origin=SUGGESTION_ORIGIN, codebook_hash=digest)
    _write_record(project, coder, entries)
    return len(new)


def read_record(project: Project, coder: str) -> dict[str, Any]:
    """The run record of ``coder``'s suggestions (empty when there has been no run).

    Read from the store record named by :func:`record_key`; a record that is not a JSON
    object reads as empty.

    Examples
    --------
    >>> read_record(project, "alice")["models"]["coaching/goals"]["n_positive"]  # doctest: +SKIP
    16
    """
    return _parse_record(project.store.record(record_key(coder)))


def _parse_record(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return record if isinstance(record, dict) else {}


def _write_record(project: Project, coder: str,
                  entries: Mapping[str, Mapping[str, Any]]) -> None:
    from sklearn import __version__ as sklearn_version

    from cmqual._version import __version__

    def update(current: str | None) -> str:
        record = _parse_record(current)
        models = dict(record.get("models", {})) if isinstance(record.get("models"),
                                                               dict) else {}
        now = utc_now()
        for code, entry in entries.items():
            models[code] = {**entry, "trained": now}
        record = {"coder": coder, "updated": now, "cmqual": __version__,
                  "scikit-learn": sklearn_version, "models": models}
        # indent=1, as schema-1 stores wrote it, so migrated and new records read alike.
        return json.dumps(record, sort_keys=True, indent=1, ensure_ascii=False)

    # merged under the store's write lock: concurrent runs keep each other's entries
    project.store.set_record(record_key(coder), update, actor=suggester(coder))


def read_suggestions(project: Project, coder: str | None = None) -> pd.DataFrame:
    """Stored learned suggestions, with their confidence and model parsed out.

    Parameters
    ----------
    project : Project
    coder : str, optional
        Only suggestions learned from this coder's codings.

    Returns
    -------
    DataFrame
        Columns :data:`STORED_COLUMNS` plus ``coder`` (the human coder), sorted by
        doc_id, start, code. ``stale`` marks suggestions whose document has changed.

    Examples
    --------
    >>> read_suggestions(project, "alice").query("confidence > 0.8")  # doctest: +SKIP
    """
    raw = project.store.codings_frame(origins=[SUGGESTION_ORIGIN])
    prefix = SUGGEST_CODER + ":"
    mine = raw["coder"].astype(str).str.startswith(prefix)
    if coder is not None:
        mine &= raw["coder"].astype(str) == suggester(coder)
    raw = raw[mine.to_numpy()]
    parsed = [_PATTERN_RE.fullmatch(str(p)) for p in raw["pattern"]]
    shas = {d.id: d.sha256 for d in project.corpus}
    table = pd.DataFrame({
        "coding_id": raw["coding_id"].to_numpy(),
        "doc_id": raw["doc_id"].to_numpy(),
        "start": raw["start"].to_numpy(),
        "end": raw["end"].to_numpy(),
        "text": raw["text"].to_numpy(),
        "code": raw["code"].to_numpy(),
        "level": raw["level"].to_numpy(),
        "confidence": [float(m["confidence"]) if m else np.nan for m in parsed],
        "model": [m["model"] if m else "" for m in parsed],
        "stale": [shas.get(d) != s for d, s in zip(raw["doc_id"], raw["doc_sha256"],
                                                   strict=True)],
    }).astype(STORED_COLUMNS)
    table["coder"] = pd.Series([str(c)[len(prefix):] for c in raw["coder"]],
                               dtype="string", index=table.index)
    table = table.sort_values(["doc_id", "start", "code", "coder"], kind="mergesort")
    return table.reset_index(drop=True)
