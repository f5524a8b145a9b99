"""``cmqual code`` and ``cmqual explain``: apply codebooks to a corpus, and say why."""

from __future__ import annotations

import argparse
import time


def register(sub: argparse._SubParsersAction) -> None:
    from cmqual.cli import _add_ingest_options

    p = sub.add_parser(
        "code",
        help="auto-code a corpus with one or more codebooks",
        description="Apply codebooks to every segment of a level and write the codings "
                    "(one row per hit, exact spans). Several --codebook options are applied "
                    "together. 'default' is the five named themes.",
    )
    p.add_argument("corpus", help="corpus folder")
    _codebook_options(p)
    p.add_argument("--out", required=True, help="codings table to write (.csv/.parquet/.xlsx)")
    p.add_argument("--workers", type=int,
                   help="worker processes for reading and for matching (default: "
                        "automatic; one process below 16 MB of files / 0.5M segments)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: only on a terminal, for long runs)")
    p.add_argument("--rollup", help="also write one row per segment x code (nested codes "
                                    "counted at their ancestors) to this table")
    _add_ingest_options(p)
    p.set_defaults(func=_code)

    p = sub.add_parser("explain", help="show every pattern that fired on one segment, "
                                       "every hit an exclusion suppressed, and the codes")
    p.add_argument("corpus", help="corpus folder")
    _codebook_options(p)
    p.add_argument("--doc", required=True, help="document id or file name")
    p.add_argument("--segment", required=True, help="segment id (from the segments table)")
    _add_ingest_options(p)
    p.set_defaults(func=_explain)


def _codebook_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--codebook", action="append", metavar="ID|PATH",
                   help="built-in id (scoping-study, equity-lens, national-framework, default) "
                        "or YAML path; repeatable (default: default)")
    p.add_argument("--level", choices=["turn", "paragraph", "sentence"], default="turn")
    p.add_argument("--speakers", choices=["participants", "all"], default="participants",
                   help="code participants' words only (default) or every speaker")


def load_codebooks(ids: list[str] | None):
    """One Codebook or Selection from the --codebook options."""
    from cmqual.codebook import compose, read_codebook

    books = [read_codebook(x) for x in (ids or ["default"])]
    return books[0] if len(books) == 1 else compose(*books)


def _code(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from cmqual.cli import _ingest_options
    from cmqual.coding import apply_codebook, rollup
    from cmqual.ingest import read_corpus
    from cmqual.io.tables import check_output_path, write_table

    check_output_path(args.out, (".csv", ".parquet", ".xlsx"))
    if args.rollup:
        check_output_path(args.rollup, (".csv", ".parquet", ".xlsx"))
    codebook = load_codebooks(args.codebook)
    t0 = time.perf_counter()
    # build only the level being coded: sentence splitting is skipped unless it is needed
    corpus = read_corpus(args.corpus, replace(_ingest_options(args), levels=(args.level,)))
    t1 = time.perf_counter()
    codings = apply_codebook(corpus, codebook, level=args.level, speakers=args.speakers,
                             progress=args.progress, workers=args.workers)
    t2 = time.perf_counter()
    write_table(codings, args.out)
    if args.rollup:
        write_table(rollup(codings), args.rollup)
    n_seg = int((corpus.segments["level"] == args.level).sum())
    print(f"coded {n_seg:,} {args.level} segments of {len(corpus)} documents with "
          f"{codebook.id}: {len(codings):,} hits in "
          f"{codings['segment_id'].nunique():,} segments "
          f"(read {t1 - t0:.1f} s, coded {t2 - t1:.1f} s)")
    counts = codings.groupby("code").size().sort_index()
    for code, n in counts.items():
        print(f"  {code:<55} {n:>7,}")
    print(f"wrote {args.out}")
    if args.rollup:
        print(f"wrote {args.rollup}")
    return 0


def _explain(args: argparse.Namespace) -> int:
    from cmqual.cli import _ingest_options
    from cmqual.coding import explain_segment
    from cmqual.ingest import read_corpus

    corpus = read_corpus(args.corpus, _ingest_options(args))
    doc_id = corpus.document(args.doc).id if args.doc in corpus or any(
        d.path == args.doc for d in corpus) else args.doc
    explanation = explain_segment(corpus, load_codebooks(args.codebook), doc_id, args.segment,
                                  speakers=args.speakers)
    seg = corpus.segment(args.segment)
    print(f"{doc_id} [{seg.start}:{seg.end}] {seg.level} by {seg.speaker or '(no speaker)'}:")
    print(f"  {seg.text[:300]!r}")
    print(explanation)
    return 0
