"""``cmqual agree``: inter-coder agreement from a codings table or a project."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from cmqual.errors import ConfigError, InputFileError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "agree",
        help="inter-coder agreement (% agreement, Cohen's kappa, Krippendorff's alpha, AC1)",
        description="Agreement between coders per code and pooled. Give a codings table "
                    "(.csv/.parquet/.xlsx with doc_id, start, end, code, coder) together with "
                    "--corpus, or a project folder. Compare the auto-coder with a human by "
                    "naming coder cmqual-auto: precision, recall and F1 are added.",
    )
    p.add_argument("source", help="codings table or project folder")
    p.add_argument("--corpus", help="corpus folder (needed with a codings table)")
    p.add_argument("--coders", required=True, help="comma-separated coders, e.g. alice,bob")
    p.add_argument("--level", choices=["segment", "document", "character"], default="segment")
    p.add_argument("--unit", choices=["turn", "paragraph", "sentence"], default="turn",
                   help="segment level used as unit (with --level segment/character)")
    p.add_argument("--codes", help="comma-separated code references (default: all coded)")
    p.add_argument("--depth", type=int, help="roll codes up to this depth (1 = top level)")
    p.add_argument("--exclude-uncoded", action="store_true",
                   help="character level: ignore text no coder coded")
    p.add_argument("--pairs", action="store_true", help="one row per pair of coders")
    p.add_argument("--ci", action="store_true", help="add a 95%% bootstrap interval")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--out", help="write the agreement table (.csv/.xlsx/.parquet)")
    p.add_argument("--disagreements", help="write the disagreement table (.csv/.xlsx/.html)")
    p.set_defaults(func=run)


def _split(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [x.strip() for x in value.split(",") if x.strip()]


def load_codings(source: str, corpus: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Codings and segments from a project folder or a codings table plus corpus."""
    path = Path(source)
    if not path.exists():
        raise InputFileError(f"{source!r} does not exist; give a codings table or a project")
    if path.is_dir():
        from cmqual.project import open_project

        project = open_project(path)
        return project.codings(), project.corpus.segments
    if corpus is None:
        raise ConfigError("with a codings table, also give --corpus DIR (for the segments)")
    from cmqual.ingest import read_corpus
    from cmqual.io.tables import read_table

    return read_table(path), read_corpus(corpus).segments


def run(args: argparse.Namespace) -> int:
    from cmqual.io.tables import check_output_path, write_table
    from cmqual.reliability import agreement_table, disagreement_table, write_disagreements

    coders = _split(args.coders)
    if not coders or len(coders) < 2:
        raise ConfigError("--coders needs at least two coders, e.g. --coders alice,bob")
    for out in (args.out, args.disagreements):
        if out:
            check_output_path(out)
    codings, segments = load_codings(args.source, args.corpus)
    options = dict(coders=coders, level=args.level, unit=args.unit, codes=_split(args.codes),
                   depth=args.depth)
    table = agreement_table(codings, segments, exclude_uncoded=args.exclude_uncoded,
                            pairs=args.pairs, ci=args.ci, random_state=args.seed, **options)
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))
    if args.out:
        write_table(table, args.out)
        print(f"wrote {args.out}")
    if args.disagreements:
        if args.level == "character":
            raise ConfigError("--disagreements works with --level segment or document")
        dis = disagreement_table(codings, segments, **options)
        write_disagreements(dis, args.disagreements)
        print(f"wrote {args.disagreements}")
    return 0
