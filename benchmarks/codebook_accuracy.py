"""Accuracy of the built-in codebooks' default selection against hand-coded paragraphs.

Loads the five default themes through the cmqual engine (``read_codebook`` and
``compile_codebook``), matches every paragraph of the labelled evaluation set as a single span,
and reports, per theme, precision, recall, F1 and Cohen's kappa, plus macro-F1, separately for
the ``tune`` and ``heldout`` splits.

A paragraph counts as coded with a theme when any hit of the theme's code or of one of its
descendant codes falls in it, which is how paragraph-level human coding is compared with
cmqual's output.

Usage::

    PYTHONPATH=src python benchmarks/codebook_accuracy.py
    PYTHONPATH=src python benchmarks/codebook_accuracy.py --split tune --errors power
    PYTHONPATH=src python benchmarks/codebook_accuracy.py --json

The evaluation data live in ``benchmarks/data/codebook_eval/`` (see the README there for how
the paragraphs were written and coded). Patterns were tuned on the ``tune`` split only; the
``heldout`` split was coded before any pattern was run on it and is reported as-is.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from cmqual.codebook import read_codebook  # noqa: E402
from cmqual.matcher import compile_codebook  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "codebook_eval" / "paragraphs.jsonl"

#: The default selection: (codebook id, top-level code id, label used in the eval data).
DEFAULT_SELECTION: tuple[tuple[str, str, str], ...] = (
    ("scoping-study", "resourcing", "resourcing"),
    ("scoping-study", "assessment", "assessment"),
    ("scoping-study", "power", "power"),
    ("scoping-study", "formalisation", "formalisation"),
    ("equity-lens", "deficit_language", "deficit_language"),
)
SPLITS = ("tune", "heldout")


@dataclass(frozen=True)
class Scores:
    """Confusion counts and derived agreement statistics for one theme on one split."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def kappa(self) -> float:
        """Cohen's kappa from the 2x2 table (engine vs human), 0 when undefined."""
        n = self.n
        if n == 0:
            return 0.0
        observed = (self.tp + self.tn) / n
        yes = ((self.tp + self.fp) / n) * ((self.tp + self.fn) / n)
        no = ((self.fn + self.tn) / n) * ((self.fp + self.tn) / n)
        expected = yes + no
        return (observed - expected) / (1 - expected) if expected < 1 else 0.0


def load_paragraphs(path: Path = DATA) -> list[dict]:
    """Read the labelled paragraphs (JSON lines with id, text, labels, split)."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def _hit_code(hit) -> str:
    code = getattr(hit, "code", None)
    if code is None and isinstance(hit, dict):
        code = hit.get("code")
    return str(getattr(code, "ref", code))


def _belongs(hit_code: str, ref: str) -> bool:
    """True when a hit's code is the theme itself or one of its descendants."""
    return hit_code == ref or hit_code.startswith(ref + "/")


def load_matchers() -> dict[str, object]:
    """Compile the default selection through the engine.

    ``read_codebook("default")`` resolves the built-in codebooks and returns the default
    selection; one compiled matcher covers all five themes and their descendants.
    """
    selection = read_codebook("default")
    refs = tuple(f"{cb}/{code}" for cb, code, _ in DEFAULT_SELECTION)
    if tuple(getattr(selection, "refs", refs)) != refs:
        raise SystemExit(f"engine default selection {selection.refs} != benchmark {refs}")
    return {"default": compile_codebook(selection)}


def predict(rows: list[dict], matchers: dict[str, object]) -> dict[str, set[str]]:
    """Map paragraph id to the set of default themes the engine codes it with.

    Each paragraph is matched as one span; a theme is present when any hit belongs to the
    theme's code or to one of its descendants.
    """
    out: dict[str, set[str]] = {}
    for row in rows:
        text = row["text"]
        spans = [(0, len(text))]
        codes = [_hit_code(h) for m in matchers.values() for h in m.find(text, spans)]
        out[row["id"]] = {
            label
            for cb_id, code_id, label in DEFAULT_SELECTION
            if any(_belongs(hc, f"{cb_id}/{code_id}") for hc in codes)
        }
    return out


def score(rows: list[dict], predicted: dict[str, set[str]], label: str) -> Scores:
    tp = fp = fn = tn = 0
    for row in rows:
        gold = label in row["labels"]
        pred = label in predicted[row["id"]]
        if gold and pred:
            tp += 1
        elif pred:
            fp += 1
        elif gold:
            fn += 1
        else:
            tn += 1
    return Scores(tp, fp, fn, tn)


def report(rows: list[dict], predicted: dict[str, set[str]], split: str) -> dict:
    subset = [r for r in rows if r["split"] == split]
    result = {"split": split, "paragraphs": len(subset), "codes": {}}
    print(f"\n== {split}: {len(subset)} paragraphs ==")
    print(f"{'code':34s} {'n+':>4s} {'P':>6s} {'R':>6s} {'F1':>6s} {'kappa':>6s}   tp  fp  fn")
    f1s = []
    for cb_id, code_id, label in DEFAULT_SELECTION:
        s = score(subset, predicted, label)
        f1s.append(s.f1)
        ref = f"{cb_id}/{code_id}"
        result["codes"][ref] = {
            "precision": round(s.precision, 3),
            "recall": round(s.recall, 3),
            "f1": round(s.f1, 3),
            "kappa": round(s.kappa, 3),
            "tp": s.tp,
            "fp": s.fp,
            "fn": s.fn,
            "tn": s.tn,
        }
        print(
            f"{ref:34s} {s.tp + s.fn:4d} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} "
            f"{s.kappa:6.3f}  {s.tp:3d} {s.fp:3d} {s.fn:3d}"
        )
    macro = sum(f1s) / len(f1s) if f1s else 0.0
    result["macro_f1"] = round(macro, 3)
    print(f"{'macro-F1':34s} {'':4s} {'':6s} {'':6s} {macro:6.3f}")
    return result


def show_errors(rows: list[dict], predicted: dict[str, set[str]], split: str, label: str) -> None:
    print(f"\n-- errors for {label} on {split} --")
    for row in rows:
        if row["split"] != split:
            continue
        gold = label in row["labels"]
        pred = label in predicted[row["id"]]
        if gold != pred:
            kind = "FN" if gold else "FP"
            print(f"{kind} {row['id']}: {row['text'][:200]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all")
    parser.add_argument(
        "--errors", metavar="THEME", help="list misclassified paragraphs for a theme"
    )
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)

    rows = load_paragraphs(args.data)
    predicted = predict(rows, load_matchers())
    splits = SPLITS if args.split == "all" else (args.split,)
    results = [report(rows, predicted, split) for split in splits]
    if args.errors:
        for split in splits:
            show_errors(rows, predicted, split, args.errors)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
