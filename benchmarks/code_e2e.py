"""Benchmark: ``cmqual code`` end to end on a CSV corpus, reading and writing included.

Generates a corpus of CSV transcripts (default 1,000,000 turns in 100 files of 10,000 rows,
10-40 words per turn, ~3 % of turns seeded with theme words) and times the real command
``cmqual code CORPUS --codebook default --level turn --out codings.parquet`` in a fresh
process. Target (issue 4): <= 30 s for 1M turns.

    python benchmarks/code_e2e.py [--turns 1000000] [--files 100] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILLER = ["so", "I", "think", "we", "really", "just", "said", "that", "it", "was", "quite", "hard", "because", "of", "the", "way", "the", "department", "works", "and", "the", "timetable", "and", "everything", "else", "that", "was", "going", "on", "at", "the", "time", "with", "the", "students", "and", "the", "building", "and", "the", "parking"]
THEMED = ["no release time", "the funding ran out", "vulnerable students", "hard to reach",
          "line manager decides", "the mentoring contract", "graded observation",
          "sign off the trainee", "statutory guidance", "lack of confidence"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--turns", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--keep", help="write the corpus here and keep it")
    args = ap.parse_args()
    rng = random.Random(7)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cmqual-e2e-"))
    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    per_file = args.turns // args.files
    size = 0
    for f in range(args.files):
        path = corpus / f"t{f:04d}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["speaker", "text"])
            for i in range(per_file):
                words = rng.choices(FILLER, k=rng.randint(10, 40))
                if rng.random() < 0.03:
                    words.insert(rng.randint(0, len(words)), rng.choice(THEMED))
                w.writerow(["Interviewer" if i % 2 == 0 else f"P{f}", " ".join(words) + "."])
        size += path.stat().st_size
    out = root / "codings.parquet"
    cmd = [sys.executable, "-m", "cmqual", "code", str(corpus), "--codebook", "default",
           "--level", "turn", "--out", str(out), "--speakers", "all"]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stderr)
        raise SystemExit(proc.returncode)
    print(proc.stdout.splitlines()[0])
    print(f"corpus           {per_file * args.files:,} turns in {args.files} CSV files, "
          f"{size / 1e6:.0f} MB")
    print(f"end to end       {elapsed:.1f} s  (target <= 30 s for 1M turns)")
    print(f"throughput       {per_file * args.files / elapsed:,.0f} turns/s")
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
