"""Time Krippendorff's alpha on 3 coders x 200,000 units with 20 categories.

Run from the project root::

    PYTHONPATH=src python benchmarks/reliability.py

Prints the best of several runs for cmqual (from a DataFrame, as users call it) and,
when the ``krippendorff`` package is installed, for it on the same data. The target for
cmqual is under one second on one core, so BLAS is held to one thread unless the caller
set the thread variables. Tests never assert on time; this script only prints.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy is imported: one core

import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cmqual.reliability import agreement_table, gwet_ac1, krippendorff_alpha  # noqa: E402

N_UNITS = 200_000
N_CODERS = 3
N_CATEGORIES = 20
REPEATS = 5


def make_data(seed: int = 0) -> pd.DataFrame:
    """Coders who agree with a true value 70 % of the time; 5 % of ratings missing."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, N_CATEGORIES, N_UNITS)
    ratings = np.repeat(truth[:, None], N_CODERS, axis=1).astype(np.float64)
    noise = rng.random(ratings.shape) > 0.7
    ratings[noise] = rng.integers(0, N_CATEGORIES, int(noise.sum()))
    ratings[rng.random(ratings.shape) < 0.05] = np.nan
    return pd.DataFrame(ratings, columns=[f"coder{k}" for k in range(N_CODERS)])


def best_time(fn, repeats: int = REPEATS) -> tuple[float, float]:
    """Best wall time of ``repeats`` calls, and the last result."""
    best = float("inf")
    result = float("nan")
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def make_codings(n_docs: int = 50, turns_per_doc: int = 200, n_codes: int = 30, seed: int = 1):
    """A synthetic corpus: segments of 100 characters, two coders, some shared codings."""
    rng = np.random.default_rng(seed)
    doc_ids = np.repeat([f"doc{d:03d}" for d in range(n_docs)], turns_per_doc)
    starts = np.tile(np.arange(turns_per_doc) * 100, n_docs)
    segments = pd.DataFrame(
        {
            "doc_id": doc_ids,
            "segment_id": [f"{d}#{s}" for d, s in zip(doc_ids, starts, strict=True)],
            "level": "turn",
            "start": starts,
            "end": starts + 100,
        }
    )
    n = len(segments) // 2
    picked = rng.choice(len(segments), n, replace=False)
    base = pd.DataFrame(
        {
            "doc_id": segments["doc_id"].to_numpy()[picked],
            "start": segments["start"].to_numpy()[picked] + rng.integers(0, 40, n),
            "code": [f"theme{rng.integers(0, 5)}/code{c}" for c in rng.integers(0, n_codes, n)],
        }
    )
    base["end"] = base["start"] + rng.integers(5, 60, n)
    ann = base.assign(coder="ann")
    bob = base[rng.random(n) < 0.8].assign(coder="bob")
    return pd.concat([ann, bob], ignore_index=True), segments


def main() -> None:
    data = make_data()
    print(
        f"Krippendorff's alpha, nominal, {N_CODERS} coders x {N_UNITS:,} units, "
        f"{N_CATEGORIES} categories, 5 % missing (best of {REPEATS})"
    )
    seconds, value = best_time(lambda: krippendorff_alpha(data))
    print(f"  cmqual.reliability.krippendorff_alpha: {seconds:.3f} s  (alpha = {value:.4f})")
    seconds, value = best_time(lambda: krippendorff_alpha(data, "interval"))
    print(f"  cmqual, level='interval':             {seconds:.3f} s  (alpha = {value:.4f})")
    seconds, value = best_time(lambda: gwet_ac1(data))
    print(f"  cmqual.reliability.gwet_ac1:          {seconds:.3f} s  (AC1 = {value:.4f})")
    try:
        import krippendorff
    except ImportError:
        print("  krippendorff package: not installed (pip install krippendorff to compare)")
    else:
        reliability_data = data.to_numpy().T  # it wants coders x units
        seconds, value = best_time(
            lambda: krippendorff.alpha(reliability_data, level_of_measurement="nominal"),
            repeats=3,
        )
        print(f"  krippendorff.alpha (package):         {seconds:.3f} s  (alpha = {value:.4f})")

    codings, segments = make_codings()
    print(
        f"\nagreement_table: {len(segments):,} turns, {len(codings):,} codings, 2 coders, "
        f"{codings['code'].nunique()} codes"
    )
    for level in ("segment", "character"):
        seconds, table = best_time(
            lambda level=level: agreement_table(codings, segments, level=level), repeats=3
        )
        print(f"  level={level!r}: {seconds:.3f} s ({len(table)} rows)")


if __name__ == "__main__":
    main()
