"""``cmqual report``: write an evidence report (HTML, Markdown, Word) for a coded corpus.

A thin layer over :func:`cmqual.report.build_report` and :meth:`Report.write`: it reads
the inputs, calls the API and prints what it wrote. ``--pseudonymise [names.csv]`` passes
``pseudonymise=`` through, so the report quotes only pseudonymised text::

    cmqual report --corpus corpora/interviews --codebook scoping-study \
        --codings codings.csv --out shared/report --pseudonymise secret/names.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cmqual.errors import ConfigError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand to the CLI."""
    p = sub.add_parser(
        "report",
        help="write an evidence report (HTML, Markdown, Word) from codings",
        description="Write an evidence report: prevalence of each theme overall and by "
                    "attribute, co-occurrence, saturation, exemplar quotes with citations, "
                    "reliability and provenance, as report.html (self-contained), report.md "
                    "and report.docx, with the figures and tables behind them.",
    )
    p.add_argument("--corpus", help="corpus folder (default: the project's corpus)")
    p.add_argument("--codebook", action="append", metavar="ID_OR_PATH",
                   help="codebook: built-in id (scoping-study, equity-lens) or a file "
                        "(repeatable; default: the project's codebooks)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--codings", metavar="FILE",
                     help="codings table (.csv, .parquet, .xlsx) with the columns of "
                          "cmqual.tables.CODING_COLUMNS")
    src.add_argument("--project", metavar="DIR",
                     help="project folder whose stored codings (human and automatic) to use")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the report to")
    p.add_argument("--attribute", action="append", metavar="COLUMN",
                   help="attribute to break prevalence down by (repeatable; default: "
                        "categorical metadata columns with 2-8 values and speaker_role)")
    p.add_argument("--no-attributes", action="store_true", help="no breakdown by attribute")
    p.add_argument("--case", metavar="COLUMN",
                   help="column whose values are the cases (default: each document)")
    p.add_argument("--unit", choices=["turn", "paragraph", "sentence"],
                   help="what a coded segment is (default: the codings' level, else turn)")
    p.add_argument("--coder", action="append", metavar="NAME",
                   help="use only this coder's codings (repeatable; default: all)")
    p.add_argument("--quotes", type=int, default=3, metavar="N",
                   help="exemplar quotes per theme (default 3)")
    p.add_argument("--order", metavar="COLUMN",
                   help="document attribute giving the order for the saturation curve, "
                        "e.g. interview_date (default: document id)")
    p.add_argument("--title", help="report title")
    p.add_argument("--no-reliability", action="store_true",
                   help="leave out inter-coder agreement")
    p.add_argument("--pseudonymise", nargs="?", const=True, default=False, metavar="NAMES_CSV",
                   help="quote only pseudonymised text: speakers, titled names, emails, phone "
                        "numbers, URLs and postcodes are replaced, and the names in "
                        "NAMES_CSV when given (columns name, type, pseudonym, variants, "
                        "match); documents become doc01, doc02 ...")
    p.set_defaults(func=run)


def _read_codebooks(specs: list[str]):
    try:
        from cmqual.codebook import read_codebook
    except ImportError:
        raise ConfigError("reading codebooks needs cmqual.codebook.read_codebook, which this "
                          "installation lacks") from None
    return [read_codebook(s) for s in specs]


def _auto_code(corpus, codebooks, unit: str | None):
    try:
        from cmqual.coding import apply_codebook
    except ImportError:
        raise ConfigError("no codings: give --codings FILE or --project DIR (the automatic "
                          "coder cmqual.coding is not available)") from None
    import pandas as pd

    tables = [apply_codebook(corpus, book, **({"level": unit} if unit else {}))
              for book in codebooks]
    return pd.concat(tables, ignore_index=True) if tables else tables


def run(args: argparse.Namespace) -> int:
    """Build the report from the parsed arguments and write it; returns the exit code."""
    from cmqual.ingest import read_corpus
    from cmqual.io.tables import read_table
    from cmqual.report import build_report

    if args.quotes < 0:
        raise ConfigError(f"--quotes: expected a whole number >= 0; got {args.quotes}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {args.out!r}: is a file; give a folder")
    project = None
    if args.project:
        from cmqual.project import open_project

        project = open_project(args.project)
    try:
        if args.corpus:
            corpus = read_corpus(args.corpus)
        elif project is not None:
            corpus = project.corpus
        else:
            raise ConfigError("--corpus: give the corpus folder (or --project)")
        if args.codebook:
            codebooks = _read_codebooks(args.codebook)
        elif project is not None:
            codebooks = list(project.codebooks)
        else:
            raise ConfigError("--codebook: give at least one codebook (or --project)")
        source = "automatic coding"
        if args.codings:
            codings = read_table(args.codings)
            source = str(args.codings)
        elif project is not None:
            codings = project.codings()
            # learned suggestions await a person's review: not codings (cmqual.suggest)
            codings = codings[codings["origin"] != "suggestion"]
            if "stale" in codings.columns:
                codings = codings[~codings["stale"].astype(bool)]
            source = f"project {args.project}"
        else:
            codings = _auto_code(corpus, codebooks, args.unit)
    finally:
        if project is not None:
            project.close()
    attributes = [] if args.no_attributes else args.attribute
    report = build_report(
        corpus, codebooks, codings, attributes=attributes, case=args.case, unit=args.unit,
        coders=args.coder, n_quotes=args.quotes, saturation_order=args.order,
        title=args.title, reliability=not args.no_reliability,
        parameters={"codings_source": source}, pseudonymise=args.pseudonymise,
    )
    paths = report.write(out)
    print(repr(report))
    pseudo = report.provenance.get("pseudonymisation")
    if pseudo is not None:
        print(f"pseudonymised: {pseudo['replacements_total']} replacements; read the quotes "
              "before sharing the report")
    for name in ("report.html", "report.md", "report.docx"):
        print(f"wrote {out / name}")
    print(f"wrote {len(paths) - 3} more files (figures, tables, provenance.json) to {out}")
    return 0
