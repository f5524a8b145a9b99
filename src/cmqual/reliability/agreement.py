"""Per-code agreement and disagreement tables built from codings.

:func:`agreement_table` answers "how far do the coders agree on each code?";
:func:`disagreement_table` lists the units they disagree on, worst first, for the
consensus meeting; :func:`write_disagreements` saves that list as CSV, XLSX or HTML.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cmqual.errors import InputFileError, ReliabilityError
from cmqual.io._stablezip import stable_zip
from cmqual.reliability._kernels import (
    UndefinedMetricWarning,
    ac1_from_codes,
    alpha_from_codes,
    caller_stacklevel,
    contingency,
    kappa_from_table,
    pa_from_codes,
    undefined,
)
from cmqual.reliability.bootstrap import _check_options, run_bootstrap
from cmqual.reliability.presence import UnitLevel, build_presence

__all__ = ["AUTO_CODER", "POOLED", "agreement_table", "disagreement_table", "write_disagreements"]

#: The coder name cmqual's own codebook matcher writes into codings.
AUTO_CODER = "cmqual-auto"
#: ``code`` label of the row that pools every code.
POOLED = "(pooled)"
CI_METRICS = ("percent_agreement", "cohen_kappa", "krippendorff_alpha", "gwet_ac1")
_NOMINAL01 = np.arange(2, dtype=np.float64)


def _mean_pairwise_kappa(x: np.ndarray, w: np.ndarray) -> float:
    """Cohen's kappa for two coders; for more, the mean over all pairs (Light 1971)."""
    k = x.shape[1]
    values = [
        kappa_from_table(contingency(x[:, [i, j]], w, 2)) for i in range(k) for j in range(i + 1, k)
    ]
    return float(np.mean(values))


_ROW_METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "percent_agreement": lambda x, w: pa_from_codes(x, w, 2),
    "cohen_kappa": _mean_pairwise_kappa,
    "krippendorff_alpha": lambda x, w: alpha_from_codes(x, w, "nominal", _NOMINAL01),
    "gwet_ac1": lambda x, w: ac1_from_codes(x, w, 2),
}


def _precision_recall_f1(auto: np.ndarray, ref: np.ndarray, w: np.ndarray) -> dict[str, float]:
    tp = float(w[(auto == 1) & (ref == 1)].sum())
    fp = float(w[(auto == 1) & (ref == 0)].sum())
    fn = float(w[(auto == 0) & (ref == 1)].sum())
    return {
        "precision": tp / (tp + fp)
        if tp + fp
        else undefined("precision", "the automatic coder never applied the code"),
        "recall": tp / (tp + fn)
        if tp + fn
        else undefined("recall", "the reference coder never applied the code"),
        "f1": 2 * tp / (2 * tp + fp + fn)
        if tp + fp + fn
        else undefined("f1", "neither coder applied the code"),
    }


def _row_seed(random_state: int, label: str) -> np.random.Generator:
    # Seeded from the row's own label, so a code's interval does not change when other
    # codes are added or removed.
    return np.random.default_rng(np.random.SeedSequence([random_state, zlib.crc32(label.encode())]))


def _reemit(label: str, caught: list[warnings.WarningMessage]) -> None:
    seen = []
    for item in caught:
        message = str(item.message)
        if issubclass(item.category, UndefinedMetricWarning) and message not in seen:
            seen.append(message)
        elif not issubclass(item.category, UndefinedMetricWarning):
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    for message in seen:
        warnings.warn(
            f"code {label!r}: {message}", UndefinedMetricWarning, stacklevel=caller_stacklevel()
        )


def _patterns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct 0/1 coding patterns (rows) of ``x`` and each unit's pattern index.

    Every coefficient here is a weighted sum over units, so units with the same pattern
    can be merged by adding their weights; with k coders there are at most 2**k patterns,
    which makes each code (and each bootstrap resample) cost O(units) at most.
    """
    k = x.shape[1]
    if k <= 12:
        patterns = (np.arange(1 << k)[:, None] >> np.arange(k)) & 1
        return patterns, x.astype(np.int64) @ (1 << np.arange(k))
    patterns, pid = np.unique(x, axis=0, return_inverse=True)
    return patterns, pid.ravel()


def _row(
    x: np.ndarray,
    w: np.ndarray,
    clusters: np.ndarray | None,
    label: str,
    *,
    auto: int | None,
    reference: int | None,
    ci: float | None,
    ci_metric: str,
    n_boot: int,
    random_state: int,
) -> dict[str, Any]:
    patterns, pid = _patterns(x)

    def merged(idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        counts = np.bincount(
            pid if idx is None else pid[idx],
            weights=w if idx is None else w[idx],
            minlength=len(patterns),
        )
        used = counts > 0
        return patterns[used], counts[used]

    px, pw = merged()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        row: dict[str, Any] = {
            "n_units": round(float(pw.sum())),
            "n_coded": round(float(pw[px.any(axis=1)].sum())),
        }
        for name, fn in _ROW_METRICS.items():
            row[name] = fn(px, pw)
        if ci is not None:
            metric = _ROW_METRICS[ci_metric]

            def kernel(idx: np.ndarray | None) -> float:
                return metric(*merged(idx))

            result = run_bootstrap(
                kernel,
                len(w),
                ci=ci,
                n_boot=n_boot,
                rng=_row_seed(random_state, label),
                clusters=clusters,
            )
            row["ci_low"], row["ci_high"] = result.low, result.high
        if auto is not None and reference is not None:
            row |= _precision_recall_f1(px[:, auto], px[:, reference], pw)
    _reemit(label, caught)
    return row


def agreement_table(
    codings: pd.DataFrame,
    segments: pd.DataFrame | None = None,
    *,
    coders: Sequence[str] | None = None,
    level: UnitLevel = "segment",
    unit: str = "turn",
    codes: Sequence[str] | None = None,
    depth: int | None = None,
    documents: Sequence[str] | None = None,
    exclude_uncoded: bool = False,
    pairs: bool = False,
    ci: bool | float = False,
    ci_metric: Literal[
        "percent_agreement", "cohen_kappa", "krippendorff_alpha", "gwet_ac1"
    ] = "krippendorff_alpha",
    n_boot: int = 1000,
    random_state: int = 0,
    auto_coder: str = AUTO_CODER,
    reference: str | None = None,
) -> pd.DataFrame:
    """Agreement between coders on each code, plus a pooled row.

    Codings become unit x coder presence tables (see :func:`presence_table`, whose
    arguments ``segments, level, unit, coders, codes, depth, documents, exclude_uncoded``
    are the same), and each code is scored as a binary present/absent rating.

    Parameters
    ----------
    codings, segments, coders, level, unit, codes, depth, documents, exclude_uncoded
        As for :func:`presence_table`.
    pairs : bool
        One row per code and pair of coders instead of one row per code.
    ci : bool or float
        Add a percentile bootstrap interval (``ci_low``, ``ci_high``) for ``ci_metric``:
        True for 95 %, or the confidence level. Units are resampled; at character level
        whole segments are, since characters of one segment are not independent.
    ci_metric : str
        Which coefficient the interval is for.
    n_boot, random_state : int
        Number of resamples and seed. Each row's stream is derived from the seed and the
        row's label, so the table is reproducible.
    auto_coder : str
        Name of the automatic coder. When it is among the coders, ``precision``,
        ``recall`` and ``f1`` of its codings against the human ``reference`` are added.
    reference : str, optional
        The human coder to score the automatic coder against; default: the only other
        coder. With several human coders and no ``reference``, the scores appear in the
        ``pairs=True`` table only.

    Returns
    -------
    DataFrame
        One row per code (sorted) and a last row with ``code == "(pooled)"`` that treats
        every (code, unit) pair as one unit. Columns: ``code``, ``coders`` (comma-joined;
        ``coder_a``, ``coder_b`` with ``pairs=True``), ``n_units`` (units, or characters
        at character level), ``n_coded`` (units at least one coder coded with the code),
        ``percent_agreement``, ``cohen_kappa``, ``krippendorff_alpha`` (nominal),
        ``gwet_ac1``, then ``ci_low``, ``ci_high`` when ``ci`` is set and ``precision``,
        ``recall``, ``f1`` when the automatic coder is compared. With more than two coders
        ``cohen_kappa`` is the mean of the pairwise kappas (Light 1971); use
        ``pairs=True`` to see each pair. Undefined values are nan, with an
        :class:`UndefinedMetricWarning` naming the code.

    Examples
    --------
    >>> segments = pd.DataFrame({"doc_id": ["d"] * 4, "segment_id": ["s1", "s2", "s3", "s4"],
    ...     "level": ["turn"] * 4, "start": [0, 10, 20, 30], "end": [10, 20, 30, 40]})
    >>> codings = pd.DataFrame({"doc_id": ["d"] * 5, "start": [0, 12, 0, 12, 31],
    ...     "end": [5, 15, 5, 15, 35], "code": ["a"] * 5,
    ...     "coder": ["ann", "ann", "bob", "bob", "bob"]})
    >>> agreement_table(codings, segments)[["code", "n_units", "percent_agreement"]]
           code  n_units  percent_agreement
    0         a        4               0.75
    1  (pooled)        4               0.75
    """
    if ci is True:
        level_ci: float | None = 0.95
    elif ci is False or ci is None:
        level_ci = None
    else:
        level_ci = ci
    if level_ci is not None:
        _check_options(level_ci, n_boot)
    if ci_metric not in CI_METRICS:
        raise ReliabilityError(
            f"ci_metric: expected one of {', '.join(CI_METRICS)}; got {ci_metric!r}"
        )
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise ReliabilityError(f"random_state: expected an integer seed; got {random_state!r}")
    p = build_presence(
        codings,
        segments,
        level=level,
        unit=unit,
        coders=coders,
        codes=codes,
        depth=depth,
        documents=documents,
        exclude_uncoded=exclude_uncoded,
    )
    names = list(p.coders)
    if reference is not None and reference not in names:
        raise ReliabilityError(
            f"reference: {reference!r} is not one of the coders ({', '.join(map(repr, names))})"
        )
    humans = [c for c in names if c != auto_coder]
    has_auto = auto_coder in names
    if has_auto and reference is None and len(humans) == 1:
        reference = humans[0]
    if reference == auto_coder:
        raise ReliabilityError("reference: must be a human coder, not the automatic coder")

    # (code, x, weights, bootstrap clusters): clusters None resamples single units.
    groups: list[tuple[str, np.ndarray, np.ndarray, np.ndarray | None]] = []
    if p.rows is None:
        n_units = len(p.units)
        w_units = p.units["weight"].to_numpy(dtype=np.float64)
        for c, code in enumerate(p.codes):
            groups.append((code, p.present[c], w_units, None))
        groups.append(
            (
                POOLED,
                p.present.reshape(-1, len(names)),
                np.tile(w_units, len(p.codes)),
                np.tile(np.arange(n_units), len(p.codes)),
            )
        )
    else:
        rows = p.rows
        x_all = rows[names].to_numpy(dtype=np.int8)
        w_all = rows["weight"].to_numpy(dtype=np.float64)
        # Characters of one segment are not independent: resample whole segments.
        segment = p.row_segment
        code_col = rows["code"].to_numpy(dtype=object)
        bounds = np.searchsorted(code_col, np.asarray(p.codes, dtype=object)).tolist()
        bounds.append(len(rows))
        for c, code in enumerate(p.codes):
            part = slice(bounds[c], bounds[c + 1])
            groups.append((code, x_all[part], w_all[part], segment[part]))
        groups.append((POOLED, x_all, w_all, segment))

    if pairs:
        selections = [
            ((a, b), [i, j]) for i, a in enumerate(names) for j, b in enumerate(names) if i < j
        ]
    else:
        selections = [(tuple(names), list(range(len(names))))]
    options = dict(
        ci=level_ci, ci_metric=ci_metric, n_boot=int(n_boot), random_state=int(random_state)
    )
    records = []
    for code, x_code, w, clusters in groups:
        for who, cols in selections:
            x = x_code[:, cols]
            in_pair = [names[c] for c in cols]
            auto_i = in_pair.index(auto_coder) if auto_coder in in_pair else None
            if pairs and auto_i is not None:
                ref_i = 1 - auto_i
            elif reference is not None and auto_i is not None:
                ref_i = in_pair.index(reference)
            else:
                ref_i = None
            label = code if not pairs else f"{code} [{who[0]} vs {who[1]}]"
            record = {"code": code}
            if pairs:
                record |= {"coder_a": who[0], "coder_b": who[1]}
            else:
                record["coders"] = ", ".join(who)
            record |= _row(x, w, clusters, label, auto=auto_i, reference=ref_i, **options)
            records.append(record)

    columns = ["code"] + (["coder_a", "coder_b"] if pairs else ["coders"])
    columns += ["n_units", "n_coded", *CI_METRICS]
    if level_ci is not None:
        columns += ["ci_low", "ci_high"]
    if has_auto and (pairs or reference is not None):
        columns += ["precision", "recall", "f1"]
    out = pd.DataFrame.from_records(records).reindex(columns=columns)
    float_cols = [
        c
        for c in columns
        if c not in ("code", "coders", "coder_a", "coder_b", "n_units", "n_coded")
    ]
    text_cols = [c for c in ("code", "coders", "coder_a", "coder_b") if c in columns]
    out = out.astype(
        {c: "float64" for c in float_cols}
        | {"n_units": "int64", "n_coded": "int64"}
        | {c: "string" for c in text_cols}
    )
    out.attrs["cmqual.reliability"] = {
        "level": level,
        "unit": unit,
        "coders": names,
        "ci": level_ci,
        "ci_metric": ci_metric if level_ci is not None else None,
        "n_boot": int(n_boot) if level_ci is not None else None,
        "random_state": int(random_state),
    }
    return out


def disagreement_table(
    codings: pd.DataFrame,
    segments: pd.DataFrame | None = None,
    *,
    coders: Sequence[str] | None = None,
    level: Literal["segment", "document"] = "segment",
    unit: str = "turn",
    codes: Sequence[str] | None = None,
    depth: int | None = None,
    documents: Sequence[str] | None = None,
    include_agreements: bool = False,
) -> pd.DataFrame:
    """Units the coders disagree on, biggest disagreements first.

    Parameters
    ----------
    codings, segments, coders, unit, codes, depth, documents
        As for :func:`presence_table`.
    level : {"segment", "document"}
        List segments (with their text) or whole documents.
    include_agreements : bool
        Also list units without disagreement (at the end).

    Returns
    -------
    DataFrame
        Columns ``doc_id, unit_id, start, end, text, n_disagreements, disputed_codes`` and
        one column per coder with that coder's codes for the unit (``"; "``-joined,
        sorted). ``n_disagreements`` counts codes that some but not all coders applied.
        Rows are sorted by ``n_disagreements`` (descending), then document, offset and
        unit id, so the order is deterministic. Write it with :func:`write_disagreements`.

    Examples
    --------
    >>> segments = pd.DataFrame({"doc_id": ["d", "d"], "segment_id": ["s1", "s2"],
    ...     "level": ["turn", "turn"], "start": [0, 10], "end": [10, 20],
    ...     "text": ["Hello you.", "Power here"]})
    >>> codings = pd.DataFrame({"doc_id": ["d", "d", "d"], "start": [2, 3, 12],
    ...     "end": [5, 4, 15], "code": ["greet", "greet", "power"], "coder": ["ann", "bob", "bob"]})
    >>> disagreement_table(codings, segments)[["unit_id", "text", "ann", "bob"]]
      unit_id        text ann    bob
    0      s2  Power here      power
    """
    if level not in ("segment", "document"):
        raise ReliabilityError(
            f"level: disagreement_table lists 'segment' or 'document' units; got {level!r}"
        )
    p = build_presence(
        codings,
        segments,
        level=level,
        unit=unit,
        coders=coders,
        codes=codes,
        depth=depth,
        documents=documents,
        exclude_uncoded=False,
    )
    k = len(p.coders)
    clash = [c for c in p.coders if c in ("text", "n_disagreements", "disputed_codes")]
    if clash:
        raise ReliabilityError(
            f"coders: coder name(s) {', '.join(map(repr, clash))} clash with the table's own "
            "columns; rename them in the codings"
        )
    units = p.units.reset_index(drop=True)
    counts = p.present.sum(axis=2)
    disputed = (counts > 0) & (counts < k)
    out = units[["doc_id", "unit_id", "start", "end", "text"]].copy()
    out["n_disagreements"] = disputed.sum(axis=0).astype(np.int64)
    codes = np.asarray(p.codes, dtype=object)

    def joined(mask: np.ndarray) -> pd.Series:
        unit_idx, code_idx = np.nonzero(mask.T)
        series = pd.Series(codes[code_idx], index=unit_idx, dtype=object)
        return series.groupby(level=0).agg("; ".join).reindex(range(len(units)), fill_value="")

    out["disputed_codes"] = joined(disputed).to_numpy()
    for j, coder in enumerate(p.coders):
        out[coder] = joined(p.present[:, :, j] == 1).to_numpy()
    if not include_agreements:
        out = out[out["n_disagreements"] > 0]
    out = out.sort_values(
        ["n_disagreements", "doc_id", "start", "end", "unit_id"],
        ascending=[False, True, True, True, True],
        kind="stable",
    )
    text_cols = ["doc_id", "unit_id", "text", "disputed_codes", *p.coders]
    return out.astype({c: "string" for c in text_cols}).reset_index(drop=True)


# ------------------------------------------------------------------------------- writing


def _csv_bytes(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _html_bytes(table: pd.DataFrame) -> bytes:
    body = table.to_html(index=False, escape=True, na_rep="", border=0)
    page = (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        "<title>Coder disagreements</title>\n</head>\n<body>\n" + body + "\n</body>\n</html>\n"
    )
    return page.encode("utf-8")



def _xlsx_bytes(table: pd.DataFrame) -> bytes:
    try:
        from openpyxl import Workbook
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ReliabilityError(
            "path: writing .xlsx needs the openpyxl package; install it or use .csv/.html"
        ) from exc
    book = Workbook()
    sheet = book.active
    sheet.title = "disagreements"
    sheet.append([str(c) for c in table.columns])
    for values in table.itertuples(index=False, name=None):
        row = [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in values]
        sheet.append(row)
    # Quoted speech may start with "=", which Excel would run as a formula: keep text text.
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.data_type == "f":
                cell.data_type = "s"
    raw = io.BytesIO()
    book.save(raw)
    return stable_zip(raw.getvalue())  # same table, same bytes


_WRITERS: dict[str, Callable[[pd.DataFrame], bytes]] = {
    ".csv": _csv_bytes,
    ".xlsx": _xlsx_bytes,
    ".html": _html_bytes,
    ".htm": _html_bytes,
}


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_disagreements(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a disagreement table to CSV, XLSX or HTML, chosen by the file extension.

    The file is written to a temporary file in the same folder and then moved into place
    (``os.replace``), so a reader never sees half a file and a failed write leaves any
    earlier file intact. The same table always gives the same bytes.

    Parameters
    ----------
    table : DataFrame
        Usually from :func:`disagreement_table`.
    path : str or path-like
        Ends in ``.csv`` (UTF-8), ``.xlsx`` (needs openpyxl) or ``.html``/``.htm``.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_disagreements(pd.DataFrame({"unit_id": ["s1"]}), folder / "d.csv").name
    'd.csv'
    """
    if not isinstance(table, pd.DataFrame):
        raise ReliabilityError(f"table: expected a DataFrame; got {type(table).__name__}")
    target = Path(path)
    writer = _WRITERS.get(target.suffix.lower())
    if writer is None:
        raise ReliabilityError(
            f"path: cannot tell the format from {target.name!r}; use a name ending in "
            f"{', '.join(_WRITERS)}"
        )
    folder = target.parent
    if not folder.is_dir():
        raise InputFileError(f"path: folder {str(folder)!r} does not exist")
    data = writer(table)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
