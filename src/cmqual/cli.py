"""The ``cmqual`` command line: a thin shell over the Python API.

Every command calls the same functions a notebook user calls. A :class:`CmqualError`
prints its message (one line per problem) and exits with code 2; any traceback is shown
only with ``--debug``. Warnings are printed as ``warning: ...`` lines on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path

from cmqual._version import __version__
from cmqual.commands import MODULES as COMMAND_MODULES
from cmqual.errors import CmqualError, ConfigError

__all__ = ["main"]


def _parse_types(items: Sequence[str] | None) -> dict[str, str]:
    out = {}
    for item in items or ():
        name, sep, kind = item.partition("=")
        if not sep or not name or not kind:
            raise ConfigError(
                f"--attr-type {item!r}: write it as COLUMN=TYPE, e.g. cohort=category"
            )
        out[name.strip()] = kind.strip()
    return out


def _ingest_options(args: argparse.Namespace):
    from cmqual.corpus import DEFAULT_INTERVIEWER_LABELS, IngestOptions
    from cmqual.io.base import TranscriptOptions

    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        raise ConfigError("--workers must be at least 1")
    labels = DEFAULT_INTERVIEWER_LABELS
    if getattr(args, "interviewers", None):
        labels = tuple(x.strip() for x in args.interviewers.split(",") if x.strip())
    return IngestOptions(
        transcript=TranscriptOptions(speaker_pattern=args.speaker_pattern,
                                     paragraphs=args.paragraphs),
        interviewer_labels=labels,
        attribute_types=_parse_types(args.attr_type),
        workers=workers,
    )


def _add_ingest_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--speaker-pattern", metavar="REGEX",
                   help="regular expression with a (?P<speaker>...) group, matched at line "
                        "start, replacing the built-in speaker-label detection")
    p.add_argument("--paragraphs", choices=["auto", "line", "blank"], default="auto",
                   help="paragraph rule for plain text (default: auto)")
    p.add_argument("--interviewers", metavar="LABELS",
                   help="comma-separated speaker labels that are interviewers "
                        "(default: Interviewer, Q, Moderator, Counsel, Chair, ...)")
    p.add_argument("--attr-type", action="append", metavar="COLUMN=TYPE",
                   help="type of a metadata.csv column: integer, float, date, boolean, "
                        "category or text (repeatable)")


def _cmd_ingest(args: argparse.Namespace) -> int:
    from cmqual.ingest import read_corpus
    from cmqual.io.tables import check_output_path, write_table

    if args.out:
        check_output_path(args.out, (".csv", ".parquet", ".xlsx"))
    corpus = read_corpus(args.corpus, _ingest_options(args))
    print(repr(corpus))
    print(corpus.summary().to_string(index=False))
    if args.out:
        write_table(corpus.segments, args.out)
        print(f"wrote {len(corpus.segments)} segments to {args.out}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo batch (corpus overview, auto-coding, reliability, evidence report)."""
    from cmqual.batch import run_batch

    batch = Path(args.batch)
    if not batch.is_file():
        raise ConfigError(f"batch file {str(batch)!r} not found; run the demo from the "
                          "cmqual repository folder")
    result = run_batch(batch, out_root=args.out_root, resume=args.resume)
    print(result.summary())
    reports = sorted(Path(result.directory).glob("*/results/report/report.html"))
    for report in reports:
        print(f"evidence report: {report}")
    return 0 if result.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cmqual",
        description="Qualitative analysis of interview transcripts: ingest, code, report.",
    )
    parser.add_argument("--version", action="version", version=f"cmqual {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", help="read a folder of transcripts and write its segments")
    p.add_argument("corpus", help="corpus folder")
    p.add_argument("--out", help="segments table to write (.csv, .parquet or .xlsx)")
    _add_ingest_options(p)
    p.add_argument("--workers", type=int, metavar="N",
                   help="processes reading files (default: one per core from 16 MB of "
                        "files on, else 1)")
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("demo", help="run the main job (batches/demo.yaml) on the bundled "
                                    "sample corpus, ending in the evidence report")
    p.add_argument("--batch", default="batches/demo.yaml")
    p.add_argument("--out-root", default="outputs")
    p.add_argument("--resume", action="store_true", help="skip runs already done")
    p.set_defaults(func=_cmd_demo)

    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a missing dependency inside an existing module is a bug
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cmqual`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = args.func(args)
        except CmqualError as exc:
            _print_warnings(caught)
            if args.debug:
                raise
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:  # output piped into head & co., which stopped reading
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
    _print_warnings(caught)
    return code


def _print_warnings(caught) -> None:
    seen = set()
    for w in caught:
        msg = str(w.message)
        if msg not in seen and not issubclass(w.category, DeprecationWarning):
            seen.add(msg)
            print(f"warning: {msg}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
