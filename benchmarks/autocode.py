"""Benchmark the auto-coder: cmqual's single-pass matcher against naive baselines.

Generates a synthetic corpus (segments of 10-40 words from a Zipf-distributed vocabulary,
about 3% of segments seeded with pattern hits) and a ~300-pattern codebook (words, stems,
word forms, phrases with alternatives, a few NEAR/n, exclusions and raw regexes), then
prints, for each size:

* cmqual matcher: segments/s, MB/s (one process, batches of segments as apply_codebook uses);
* apply_codebook end-to-end on a segments table, with 1 worker and with the automatic
  number of workers;
* naive loop: one ``re.finditer`` per pattern per segment (on a sample);
* bare scan: lowercase the text and search it once (a floor no matcher can beat);
* peak resident memory of the process (and of worker processes).

Run from the repository root::

    PYTHONPATH=src python benchmarks/autocode.py                 # 100k and 1M segments
    PYTHONPATH=src python benchmarks/autocode.py --sizes 20000   # quick look
    PYTHONPATH=src python benchmarks/autocode.py --engine ahocorasick

Figures are printed, never asserted (tests do not time anything).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import resource
import sys
import time

import numpy as np
import pandas as pd

from cmqual.codebook import from_dict
from cmqual.coding import CHUNK_SEGMENTS, _run, _TextSource, apply_codebook
from cmqual.matcher import SEPARATOR, compile_codebook
from cmqual.patterns import word_forms

_FUNCTION_WORDS_TEXT = """
    the a of and to in is that it was for on are with as i his they be at one have this
    from or had by not but what some we can out other were all there when up your how
    said an each she which do their time if will way about many then them would like so
    these her make see him has more could go come did no most people my over know than
    who may down been now find you just really think because yeah mean sort kind thing
    things get got
"""
FUNCTION_WORDS = _FUNCTION_WORDS_TEXT.split()

_DOMAIN_WORDS_TEXT = """
    assessment manager workload funding resource budget staffing mentor supervisor
    training policy governance hierarchy authority deficit vulnerable disadvantaged
    outreach access barrier inclusion equity formal informal procedure protocol
    paperwork compliance audit inspection evaluation feedback marking grading curriculum
    pathway progression retention wellbeing burnout stress pressure capacity shortage
    overtime contract salary promotion leadership decision consultation voice agency
    autonomy trust respect recognition support collaboration partnership network
    community family parent carer volunteer coordinator director trustee board committee
    panel review strategy target outcome indicator metric report record document
    evidence portfolio observation interview survey questionnaire monitoring reporting
    accountability responsibility obligation duty requirement standard framework
    guideline regulation legislation statute charter mandate directive instruction
    allocation distribution provision delivery service programme project initiative
    scheme grant donation income revenue expenditure cost saving efficiency productivity
    quality
"""
DOMAIN_WORDS = _DOMAIN_WORDS_TEXT.split()

_SYLLABLES_TEXT = """
    ba be bi bo bu ca ce co da de di do fa fe fi ga ge go ha he hi ho la le li lo ma me
    mi mo na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi wa we wi
    ya yo za an en in on ar er or al el il st tr pr pl gr cl
"""
SYLLABLES = _SYLLABLES_TEXT.split()


def make_vocabulary(rng: np.random.Generator, size: int = 6000) -> tuple[list[str], np.ndarray]:
    """Pseudo-words (never pattern words) and function words, with Zipf-like weights."""
    domain = set(DOMAIN_WORDS)
    words: dict[str, None] = {}
    while len(words) < size:
        w = "".join(rng.choice(SYLLABLES, size=int(rng.integers(1, 5))))
        if w not in domain:
            words[w] = None
    vocab = list(FUNCTION_WORDS) + list(words)
    ranks = np.arange(1, len(vocab) + 1, dtype=float)
    weights = 1.0 / ranks
    return vocab, weights / weights.sum()


def make_codebook(rng: np.random.Generator, n_codes: int = 30) -> tuple[dict, list[str]]:
    """A codebook dict with about 300 patterns spread over nested codes."""
    patterns: list[str] = []
    for w in DOMAIN_WORDS:
        kind = rng.integers(0, 3)
        patterns.append(
            w if kind == 0 else (w[: max(4, len(w) - 3)] + "*" if kind == 1 else w + "+")
        )
    for w in (DOMAIN_WORDS * 2)[: 288 - len(patterns)]:
        a, b = rng.choice(DOMAIN_WORDS, size=2, replace=False)
        shape = rng.integers(0, 4)
        if shape == 0:
            patterns.append(f"lack of {w}")
        elif shape == 1:
            patterns.append(f"{a}|{b} {w}*")
        elif shape == 2:
            patterns.append(f"{w} and {a}")
        else:
            patterns.append(f"in {w}")
    patterns += [
        f"{a} NEAR/5 {b}"
        for a, b in zip(DOMAIN_WORDS[100:108], DOMAIN_WORDS[108:116], strict=False)
    ]
    patterns += ["hard to reach", "don't know", r"re:\bkpi\d+\b", r"re:\bs\.\s?\d{2,3}\b"]
    codes = []
    per = len(patterns) // n_codes + 1
    for i in range(n_codes):
        chunk = patterns[i * per : (i + 1) * per]
        half = len(chunk) // 2
        code = {"id": f"theme{i:02d}", "label": f"Theme {i}", "patterns": chunk[:half]}
        if i % 5 == 0:
            code["speakers"] = "participants"
        if i % 4 == 0 and chunk and " " not in chunk[0]:
            code["exclude_patterns"] = [f"risk {chunk[0]}"]
        code["codes"] = [{"id": "detail", "label": f"Theme {i} detail", "patterns": chunk[half:]}]
        codes.append(code)
    data = {"id": "bench", "title": "Benchmark codebook", "version": "1", "codes": codes}
    return data, patterns


def render(pattern: str, rng: np.random.Generator) -> str:
    """One text instance of ``pattern`` (for seeding hits)."""
    if pattern.startswith("re:"):
        return "kpi42" if "kpi" in pattern else "s. 106"
    if " NEAR/" in pattern:
        a, _, b = pattern.partition(" NEAR/")
        return f"{render(a, rng)} quite a lot of {render(b.split(' ', 1)[1], rng)}"
    out = []
    for slot in pattern.split():
        alt = str(rng.choice(slot.split("|")))
        if alt.endswith("*"):
            alt = alt[:-1] + str(rng.choice(["", "ment", "ed", "ing", "s", "al"]))
        elif alt.endswith("+"):
            alt = str(rng.choice(word_forms(alt[:-1])))
        out.append(alt.capitalize() if rng.random() < 0.2 else alt)
    gaps = [" ", " ", " ", "-", " \n", ", "]
    text = out[0]
    for word in out[1:]:
        text += str(rng.choice(gaps)) + word
    return text


def make_segments(n: int, seed: int = 7, seed_rate: float = 0.03) -> tuple[list[str], list[str]]:
    """``n`` segments of 10-40 words; about ``seed_rate`` of them get a pattern instance."""
    rng = np.random.default_rng(seed)
    vocab, weights = make_vocabulary(rng)
    _, patterns = make_codebook(np.random.default_rng(seed))
    lengths = rng.integers(10, 41, size=n)
    words = np.asarray(vocab, dtype=object)[
        rng.choice(len(vocab), size=int(lengths.sum()), p=weights)
    ]
    seeded = set(np.flatnonzero(rng.random(n) < seed_rate).tolist())
    texts: list[str] = []
    pos = 0
    for i, k in enumerate(lengths.tolist()):
        seg = list(words[pos : pos + k])
        pos += k
        if i in seeded:
            seg.insert(int(rng.integers(0, k)), render(str(rng.choice(patterns)), rng))
        seg[0] = seg[0].capitalize()
        texts.append(" ".join(seg) + ".")
    return texts, patterns


def segments_table(texts: list[str], per_doc: int = 100) -> tuple[pd.DataFrame, dict[str, str]]:
    """A segments table (turn level) and document texts built from ``texts``."""
    n = len(texts)
    doc_index = np.arange(n) // per_doc
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n)
    starts = np.empty(n, dtype=np.int64)
    docs: dict[str, str] = {}
    for d in range(int(doc_index[-1]) + 1 if n else 0):
        a, b = d * per_doc, min((d + 1) * per_doc, n)
        offs = np.concatenate([[0], np.cumsum(lengths[a:b] + 1)[:-1]])
        starts[a:b] = offs
        docs[f"doc{d:05d}"] = "\n".join(texts[a:b])
    doc_ids = np.asarray([f"doc{d:05d}" for d in range(int(doc_index[-1]) + 1)], dtype=object)[
        doc_index
    ]
    frame = pd.DataFrame(
        {
            "doc_id": doc_ids,
            "doc": doc_ids,
            "segment_id": [f"s{i}" for i in range(n)],
            "level": "turn",
            "start": starts,
            "end": starts + lengths,
            "speaker": np.where(np.arange(n) % 3 == 0, "I", "P"),
            "role": np.where(np.arange(n) % 3 == 0, "interviewer", "participant"),
            "text": texts,
        }
    )
    return frame, docs


def naive_regexes(patterns: list[str]) -> list[re.Pattern[str]]:
    """One Python regex per pattern, roughly equivalent (NEAR left out)."""
    out = []
    for p in patterns:
        if p.startswith("re:"):
            out.append(re.compile(p[3:], re.I))
            continue
        if " NEAR/" in p:
            continue
        slots = []
        for slot in p.split():
            alts = []
            for alt in slot.split("|"):
                if alt.endswith("*"):
                    alts.append(re.escape(alt[:-1]) + r"\w*")
                elif alt.endswith("+"):
                    alts.append("|".join(re.escape(f) for f in word_forms(alt[:-1])))
                else:
                    alts.append(re.escape(alt))
            slots.append("(?:" + "|".join(alts) + ")")
        out.append(re.compile(r"\b" + r"[\s\-,]+".join(slots) + r"\b", re.I))
    return out


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def rate(label: str, n: int, mb: float, wall: float, cpu: float, extra: str = "") -> None:
    """Print segments/s and MB/s by wall clock, and segments per CPU-second."""
    print(
        f"{label:<27}: {n / wall:>10,.0f} segments/s {mb / wall:7.1f} MB/s wall "
        f"| {n / cpu:>10,.0f} segments/CPU-s ({wall:.2f}s wall, {cpu:.2f}s CPU{extra})"
    )


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def bench(n: int, args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    texts, patterns = make_segments(n, seed_rate=args.seed_rate)
    data, _ = make_codebook(np.random.default_rng(7))
    cb = from_dict(data)
    mb = sum(map(len, texts)) / 1e6
    print(
        f"\n== {n:,} segments, {mb:.1f} M characters, {len(patterns)} patterns "
        f"(generated in {time.perf_counter() - t0:.1f}s)"
    )
    t = time.perf_counter()
    cm = compile_codebook(cb, engine=args.engine)
    print(f"compile ({cm.engine}): {time.perf_counter() - t:.2f}s")

    flags = np.zeros(n, dtype=bool)
    bounds = [(a, min(a + CHUNK_SEGMENTS, n)) for a in range(0, n, CHUNK_SEGMENTS)]
    gc.collect()
    t, c = time.perf_counter(), cpu_seconds()
    results = _run(cm, _TextSource(texts=texts), flags, bounds, 1, False)
    dt, dc = time.perf_counter() - t, cpu_seconds() - c
    hit_segments = len(set(np.concatenate([r[0] for r in results]).tolist()))
    n_hits = sum(len(r[5]) for r in results)
    rate(
        "cmqual matcher, 1 process",
        n,
        mb,
        dt,
        dc,
        f", {n_hits:,} hits, {hit_segments / n:.1%} of segments hit",
    )

    segments, docs = segments_table(texts)
    for workers in (1, None):
        gc.collect()
        t, c = time.perf_counter(), cpu_seconds()
        codings = apply_codebook((segments, docs), cm, speakers="all", workers=workers)
        dt, dc = time.perf_counter() - t, cpu_seconds() - c
        label = "auto" if workers is None else str(workers)
        rate(f"apply_codebook workers={label}", n, mb, dt, dc, f", {len(codings):,} codings")
    del segments, docs, codings

    sample = texts[: args.naive_sample]
    regexes = naive_regexes(patterns)
    t, c = time.perf_counter(), cpu_seconds()
    found = sum(1 for s in sample for rx in regexes for _ in rx.finditer(s))
    dt, dc = time.perf_counter() - t, cpu_seconds() - c
    smb = sum(map(len, sample)) / 1e6
    rate(
        "naive re.finditer loop",
        len(sample),
        smb,
        dt,
        dc,
        f", sample of {len(sample):,}, {len(regexes)} regexes, {found} matches",
    )

    t, c = time.perf_counter(), cpu_seconds()
    for a, b in bounds:
        SEPARATOR.join(texts[a:b]).lower().count("\x01")
    dt, dc = time.perf_counter() - t, cpu_seconds() - c
    rate("bare lowercase scan", n, mb, dt, dc)
    own, kids = peak_mb()
    print(f"{'peak memory (RSS)':<27}: {own:,.0f} MB this process, {kids:,.0f} MB largest worker")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--engine", choices=["hyperscan", "ahocorasick"], default=None)
    parser.add_argument("--seed-rate", type=float, default=0.03)
    parser.add_argument("--naive-sample", type=int, default=2000)
    args = parser.parse_args(argv)
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
        "(wall-clock figures need an idle machine)"
    )
    for n in args.sizes:
        bench(n, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
