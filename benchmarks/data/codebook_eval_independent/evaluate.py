"""Score the default codebook selection on the independent paragraphs, per batch.

Reuses the loading, matching and scoring logic of ``benchmarks/codebook_accuracy.py``
(``load_paragraphs``, ``load_matchers``, ``predict``, ``score``) so the numbers are
computed exactly as the main benchmark computes them; only the grouping differs
(``batch`` 1, 2, 3 instead of ``split``).

Usage::

    PYTHONPATH=src python benchmarks/data/codebook_eval_independent/evaluate.py
    PYTHONPATH=src python benchmarks/data/codebook_eval_independent/evaluate.py --batches 1 2 --errors power
    PYTHONPATH=src python benchmarks/data/codebook_eval_independent/evaluate.py --json

Batch 3 is held out: look at its totals, never at its errors, when changing patterns.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from codebook_accuracy import (  # noqa: E402
    DEFAULT_SELECTION,
    load_matchers,
    load_paragraphs,
    predict,
    score,
)

DATA = HERE / "paragraphs.jsonl"


def table(rows, predicted, title):
    print(f"\n== {title}: {len(rows)} paragraphs ==")
    print(f"{'theme':18s} {'n+':>4s} {'P':>6s} {'R':>6s} {'F1':>6s} {'kappa':>6s}   tp  fp  fn")
    out, f1s = {}, []
    for _cb, _code, label in DEFAULT_SELECTION:
        s = score(rows, predicted, label)
        f1s.append(s.f1)
        out[label] = {k: round(getattr(s, k), 3) for k in ("precision", "recall", "f1", "kappa")}
        out[label].update(tp=s.tp, fp=s.fp, fn=s.fn, tn=s.tn)
        print(f"{label:18s} {s.tp + s.fn:4d} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} "
              f"{s.kappa:6.3f}  {s.tp:3d} {s.fp:3d} {s.fn:3d}")
    macro = sum(f1s) / len(f1s)
    print(f"{'macro-F1':18s} {'':4s} {'':6s} {'':6s} {macro:6.3f}")
    return {"title": title, "paragraphs": len(rows), "themes": out, "macro_f1": round(macro, 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--errors", metavar="THEME", help="list errors for a theme (batches 1-2 only)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    rows = load_paragraphs(args.data)
    predicted = predict(rows, load_matchers())
    results = []
    groups = []
    dev = [b for b in args.batches if b in (1, 2)]
    if dev:
        groups.append((f"batches {'+'.join(map(str, dev))}", dev))
    if 3 in args.batches:
        groups.append(("batch 3 (held out)", [3]))
    for title, bs in groups:
        results.append(table([r for r in rows if r["batch"] in bs], predicted, title))
    if args.errors:
        for r in rows:
            if r["batch"] not in (1, 2) or r["batch"] not in args.batches:
                continue  # never show held-out errors
            gold, pred = args.errors in r["labels"], args.errors in predicted[r["id"]]
            if gold != pred:
                print(f"{'FN' if gold else 'FP'} {r['id']}: {r['text']}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
