"""Benchmark learned code suggestions: 20 codes over a 10,000-segment project.

Generates a synthetic project with learnable signal: 200 interviews of 50 participant turns
(10-40 words each from a Zipf-distributed background vocabulary); each of 20 codes has 12
topic words, and a turn *about* a code (6 % of turns per code) carries 2-4 of them, while
15 % of all turns carry one stray topic word of a random code, so no single word decides.
The codebook's patterns know 3 topic words per code. The coder ``alice`` has coded the
first 30 % of the interviews (whole turns; 5 % of her codings are missing, as in real
coding). Then it prints:

* the time to train and suggest all codes (``suggest(..., store=False)``), and with the
  suggestions written to the project store (the budget is 10 s on one core);
* precision and recall of the stored suggestions against the generator's truth on the
  interviews alice has not coded, mean over codes;
* with ``--evaluate``, the time of the cross-validated evaluation and its mean F1 per
  method.

Run from the repository root::

    PYTHONPATH=src python benchmarks/suggest.py
    PYTHONPATH=src python benchmarks/suggest.py --segments 2000 --evaluate

Figures are printed, never asserted (tests do not time anything).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

SYLLABLES = ["ka", "lo", "mi", "ren", "sa", "tu", "vel", "no", "pri", "da", "fen", "go",
             "har", "is", "jo", "lum", "or", "pe", "qua", "ris", "sto", "ti", "ul", "wen"]


def _words(rng: np.random.Generator, n: int, syllables: tuple[int, int]) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        k = int(rng.integers(*syllables))
        out.add("".join(rng.choice(SYLLABLES, size=k)))
    return sorted(out)


def make_project(root: Path, *, n_segments: int, n_codes: int, coded: float,
                 seed: int = 0) -> tuple[object, dict[tuple[str, int], set[str]]]:
    """Write the synthetic project under ``root``; return it opened and the true codes."""
    from cmqual.project import init_project

    rng = np.random.default_rng(seed)
    background = _words(rng, 3000, (2, 4))
    zipf = 1.0 / np.arange(1, len(background) + 1)
    zipf /= zipf.sum()
    pool = _words(rng, n_codes * 12 + 100, (3, 5))
    topics = {f"bench/code{i + 1:02d}": [w for w in pool[i * 12:(i + 1) * 12]]
              for i in range(n_codes)}
    codes = list(topics)
    turns_per_doc = 50
    n_docs = max(1, n_segments // turns_per_doc)
    truth: dict[tuple[str, int], set[str]] = {}
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for d in range(n_docs):
        doc = f"interview{d:04d}"
        lines = ["Interviewer: Tell me about your work."]
        for t in range(turns_per_doc):
            words = list(rng.choice(background, size=int(rng.integers(10, 41)), p=zipf))
            about = {c for c in codes if rng.random() < 0.06}
            for c in sorted(about):
                words += list(rng.choice(topics[c], size=int(rng.integers(2, 5))))
            if rng.random() < 0.15:
                stray = codes[int(rng.integers(len(codes)))]
                words.append(str(rng.choice(topics[stray])))
            rng.shuffle(words)
            lines.append("Alex: " + " ".join(words).capitalize() + ".")
            truth[(doc, t)] = about
        (corpus / f"{doc}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    book = {"id": "bench", "title": "Synthetic benchmark codebook", "version": "1",
            "codes": [{"id": c.split("/")[1], "label": c.split("/")[1],
                       "patterns": topics[c][:3]} for c in codes]}
    (root / "codebook.yaml").write_text(yaml.safe_dump(book, sort_keys=False), "utf-8")
    project = init_project(root / "project", corpus, [root / "codebook.yaml"])
    turns = project.corpus.segments_at("turn")
    turns = turns[turns["speaker_role"] != "interviewer"]
    rows = []
    coded_docs = {f"interview{d:04d}" for d in range(round(n_docs * coded))}
    for doc, group in turns.groupby("doc_id", sort=True):
        if doc not in coded_docs:
            continue
        for t, seg in enumerate(group.sort_values("start").itertuples(index=False)):
            for c in sorted(truth[(str(doc), t)]):
                if rng.random() >= 0.05:
                    rows.append({"document": str(doc), "code": c, "coder": "alice",
                                 "start": int(seg.start), "end": int(seg.end)})
    project.import_quotes(pd.DataFrame(rows))
    return project, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--codes", type=int, default=20)
    parser.add_argument("--coded", type=float, default=0.3,
                        help="share of interviews the coder has coded (default 0.3)")
    parser.add_argument("--evaluate", action="store_true", help="also time evaluate()")
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from cmqual.project import open_project
    from cmqual.suggest import evaluate, suggest

    if hasattr(os, "sched_setaffinity"):  # one core, as the budget says
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    threadpool_limits(1)
    print(f"cmqual.suggest benchmark: {args.segments:,} participant turns, {args.codes} "
          f"codes, {args.coded:.0%} of interviews coded; one core")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        project, truth = make_project(Path(tmp), n_segments=args.segments,
                                      n_codes=args.codes, coded=args.coded)
        project.close()
        t1 = time.perf_counter()
        print(f"  generate project                      {t1 - t0:6.2f} s")
        project = open_project(Path(tmp) / "project")
        _ = project.corpus
        t2 = time.perf_counter()
        print(f"  open project, read corpus             {t2 - t1:6.2f} s")
        c2 = time.process_time()
        result = suggest(project, "alice", store=False)
        t3, c3 = time.perf_counter(), time.process_time()
        print(f"  train + suggest, {args.codes} codes            {t3 - t2:6.2f} s   "
              f"(CPU {c3 - c2:.2f} s; {len(result.suggestions):,} suggestions)")
        result = suggest(project, "alice", store=True)
        t4, c4 = time.perf_counter(), time.process_time()
        print(f"  train + suggest + store               {t4 - t3:6.2f} s   "
              f"(CPU {c4 - c3:.2f} s)")
        turns = project.corpus.segments_at("turn")
        turns = turns[turns["speaker_role"] != "interviewer"]
        index = {}
        for doc, group in turns.groupby("doc_id", sort=True):
            for t, sid in enumerate(group.sort_values("start")["segment_id"]):
                index[str(sid)] = (str(doc), t)
        coded_docs = set(project.codings(coder="alice", include_auto=False)["doc_id"])
        sug = result.suggestions
        precision, recall = [], []
        for code in sorted(result.models["code"]):
            made = {index[s] for s in sug.loc[sug["code"] == code, "segment_id"]}
            true = {k for k, v in truth.items() if code in v and k[0] not in coded_docs}
            precision.append(len(made & true) / len(made) if made else float("nan"))
            recall.append(len(made & true) / len(true) if true else float("nan"))
        print(f"  suggestions vs truth on uncoded interviews: precision "
              f"{np.nanmean(precision):.3f}, recall {np.nanmean(recall):.3f} (mean over codes)")
        if args.evaluate:
            t4 = time.perf_counter()
            ev = evaluate(project, "alice")
            t5 = time.perf_counter()
            print(f"  evaluate (5-fold CV + learning curve) {t5 - t4:6.2f} s")
            means = ev.table.groupby("method", sort=False)["f1"].mean()
            print("  mean cross-validated F1: " + ", ".join(
                f"{m} {v:.3f}" for m, v in means.items()))
        project.close()


if __name__ == "__main__":
    main()
