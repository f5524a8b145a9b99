"""Code saturation: how many distinct codes have appeared as documents are added."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cmqual.analysis._scope import CorpusLike, Scope, infer_unit, labels, place
from cmqual.errors import ConfigError

__all__ = ["saturation"]


def saturation(
    codings: pd.DataFrame,
    corpus: CorpusLike,
    *,
    order: str | Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    rollup: bool = False,
    depth: int | None = None,
    coders: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Cumulative number of distinct codes as documents are added one by one.

    Parameters
    ----------
    codings, corpus, codes, rollup, depth, coders
        As for :func:`cmqual.analysis.code_frequencies`.
    order : str or list of str, optional
        The order documents are added in: ``None`` (by ``doc_id``), the name of a document
        attribute such as ``"interview_date"`` (ascending; missing values last; ties by
        ``doc_id``) or a list of document ids (only those documents are used).

    Returns
    -------
    DataFrame
        One row per document in order. Columns: ``step`` (1-based), ``doc_id``,
        ``order_value`` (the attribute's value as text, "" for other orders),
        ``new_codes`` (codes first seen in this document), ``new_code_list``
        (``"; "``-joined, sorted), ``cumulative_codes``, ``pct_codes`` (100 × cumulative
        / all codes seen), ``saturated`` (True for the documents after the last one that
        brought a new code: no new code appeared from there on; all False when the last
        document still brought one).

    Examples
    --------
    >>> sat = saturation(codings, corpus, order="interview_date", depth=2)  # doctest: +SKIP
    >>> sat.loc[sat["saturated"], "step"].min()  # first step after saturation  # doctest: +SKIP
    """
    placed = place(codings, corpus, unit=infer_unit(codings, None),
                   scope=Scope.make(coders=coders), codes=codes, depth=depth, rollup=rollup)
    docs = corpus.documents.copy()
    docs["doc_id"] = docs["doc_id"].astype(str)
    ids = sorted(docs["doc_id"])
    values = [""] * len(ids)
    if isinstance(order, str):
        if order not in docs.columns:
            attrs = [c for c in docs.columns if c not in ("doc", "sha256")]
            raise ConfigError(f"order: no document attribute {order!r}; attributes: "
                              f"{', '.join(attrs)}")
        d = docs.sort_values("doc_id", kind="stable")
        lab, natural = labels(d[order])
        rank = {v: i for i, v in enumerate(natural)}
        d = d.assign(_label=lab.to_numpy(), _rank=lab.map(rank).to_numpy())
        d = d.sort_values(["_rank", "doc_id"], kind="stable")
        ids = d["doc_id"].tolist()
        values = d["_label"].astype(str).tolist()
    elif order is not None:
        ids = [str(x) for x in order]
        unknown = [x for x in ids if x not in set(docs["doc_id"])]
        dupes = sorted({x for x in ids if ids.count(x) > 1})
        if unknown or dupes:
            problems = ([f"not in the corpus: {', '.join(unknown)}"] if unknown else []) + (
                [f"listed twice: {', '.join(dupes)}"] if dupes else [])
            raise ConfigError("order: " + "; ".join(problems))
        values = [""] * len(ids)
    used = placed.incidence.join(placed.units["doc_id"], on="unit")
    by_doc: dict[str, set[str]] = {}
    for doc_id, code in zip(used["doc_id"], used["code"], strict=True):
        by_doc.setdefault(doc_id, set()).add(code)
    seen: set[str] = set()
    rows = []
    for step, (doc_id, value) in enumerate(zip(ids, values, strict=True), start=1):
        new = sorted(by_doc.get(doc_id, set()) - seen)
        seen |= set(new)
        rows.append((step, doc_id, value, len(new), "; ".join(new), len(seen)))
    out = pd.DataFrame(rows, columns=["step", "doc_id", "order_value", "new_codes",
                                      "new_code_list", "cumulative_codes"])
    total = len(seen)
    out["pct_codes"] = (100.0 * out["cumulative_codes"] / total if total
                        else np.full(len(out), np.nan))
    new_steps = out.loc[out["new_codes"] > 0, "step"]
    last_new = int(new_steps.max()) if len(new_steps) else 0
    out["saturated"] = (out["step"] > last_new) if total else False
    return out.astype({"step": "int64", "doc_id": "string", "order_value": "string",
                       "new_codes": "int64", "new_code_list": "string",
                       "cumulative_codes": "int64", "pct_codes": "float64",
                       "saturated": "bool"})
