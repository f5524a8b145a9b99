"""Benchmark: ingest throughput (MB/s) including speaker turns and sentence splitting.

Generates a synthetic corpus of plain-text interview transcripts (default 1,000 files,
about 50 MB), reads it with ``cmqual.read_corpus`` in one process (``workers=1``) and
again with the automatic worker processes, and prints the figures.
Target (issue 2): >= 2 MB/s on one core of the reference machine.

    python benchmarks/ingest.py [--docs 1000] [--kb-per-doc 50] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

import cmqual

SAMPLE = Path(__file__).resolve().parents[1] / "corpora" / "sample"
FALLBACK = ["mentor", "mentoring", "coach", "trainee", "teacher", "college", "students", "time", "workload", "funding", "observation", "assessment", "lesson", "feedback", "department", "manager", "support", "release", "hours", "really", "think", "know", "quite", "because", "actually", "would", "could", "should", "about", "their", "there", "which", "when", "where", "what", "school", "university", "learners", "goodwill", "policy", "contract"]


def vocabulary() -> tuple[list[str], list[int]]:
    """Words and their frequencies from the bundled sample transcripts (Zipf-like, as in
    real speech), so that sentence contexts vary as much as in real transcripts."""
    counts: dict[str, int] = {}
    for path in sorted(SAMPLE.glob("*.txt")):
        for word in re.findall(r"[A-Za-z][a-z'’-]+", path.read_text(encoding="utf-8-sig")):
            counts[word.lower()] = counts.get(word.lower(), 0) + 1
    if len(counts) < 200:
        return FALLBACK, [1] * len(FALLBACK)
    words = sorted(counts)
    return words, [counts[w] for w in words]
ABBREV = ["Dr. Patel", "Mr. Jones", "e.g. the", "i.e. our", "No. 4", "etc. and"]


WORDS, WEIGHTS = vocabulary()


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, WEIGHTS, k=rng.randint(6, 22))
    if rng.random() < 0.15:
        words.insert(rng.randint(1, len(words) - 1), rng.choice(ABBREV))
    if rng.random() < 0.05:
        words.append("[inaudible 00:12:03]")
    end = rng.choice([".", ".", ".", "?", "!"])
    return " ".join(words).capitalize() + end


def transcript(rng: random.Random, target_chars: int) -> str:
    parts, size, turn = [], 0, 0
    speakers = ["Interviewer", f"Participant {rng.randint(1, 40)}"]
    while size < target_chars:
        speaker = speakers[turn % 2]
        paras = []
        for _ in range(1 if speaker == "Interviewer" else rng.randint(1, 3)):
            paras.append(" ".join(sentence(rng) for _ in range(rng.randint(1, 6))))
        block = f"{speaker}: " + "\n".join(paras) + "\n"
        parts.append(block)
        size += len(block)
        turn += 1
    return "".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--kb-per-doc", type=int, default=50)
    ap.add_argument("--keep", help="write the corpus here and keep it")
    ap.add_argument("--memory", action="store_true", help="also trace peak memory (slower)")
    args = ap.parse_args()
    rng = random.Random(42)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cmqual-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(args.docs):
        text = transcript(rng, args.kb_per_doc * 1000)
        (root / f"t{i:05d}.txt").write_text(text, encoding="utf-8")
        total += len(text.encode("utf-8"))
    mb = total / 1e6
    if args.memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    corpus = cmqual.read_corpus(root, cmqual.IngestOptions(workers=1))
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if args.memory else float("nan")
    if args.memory:
        tracemalloc.stop()
    t0 = time.perf_counter()
    cmqual.read_corpus(root)  # automatic: one worker process per core for large corpora
    elapsed_auto = time.perf_counter() - t0
    seg = corpus.segments
    print(f"documents        {len(corpus)}")
    print(f"input size       {mb:.1f} MB")
    print(f"segments         {len(seg):,} (turns {int((seg.level == 'turn').sum()):,}, "
          f"sentences {int((seg.level == 'sentence').sum()):,})")
    print(f"ingest time      {elapsed:.1f} s  (one process, workers=1)")
    print(f"throughput       {mb / elapsed:.2f} MB/s  (target >= 2 MB/s on one core)")
    print(f"all cores        {mb / elapsed_auto:.2f} MB/s  ({elapsed_auto:.1f} s, "
          f"workers=auto on {os.cpu_count()} cores)")
    if args.memory:
        print(f"peak traced mem  {peak:.0f} MB")
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
