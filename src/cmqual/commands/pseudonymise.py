"""``cmqual pseudonymise``: write a pseudonymised copy of a corpus, its key and a review list.

A thin shell over :func:`cmqual.pseudonymise.pseudonymise_corpus`::

    cmqual pseudonymise corpora/interviews --out shared/interviews \\
        --names names.csv --key secret/interviews-key.csv

The key and the review list hold real names; the command says where they went and warns
on stderr to keep them secret.
"""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``cmqual pseudonymise`` to the CLI's sub-parsers."""
    from cmqual.cli import _add_ingest_options

    p = sub.add_parser(
        "pseudonymise", help="write a pseudonymised copy of a corpus and a separate key",
        description="Replace speaker labels, listed names, titled names, email addresses, "
                    "phone numbers, URLs and UK postcodes; write the new corpus, a secret "
                    "key (real -> pseudonym) outside it and a review list of words to check.")
    p.add_argument("corpus", help="corpus folder")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for the pseudonymised corpus (new or empty)")
    p.add_argument("--names", metavar="CSV",
                   help="names to replace: columns name, type (person|organisation|place), "
                        "pseudonym, variants (;-separated), match (auto|anycase|capitalised)")
    p.add_argument("--mode", choices=["pseudonym", "redact"], default="pseudonym",
                   help="numbered pseudonyms like [Person 1] (default) or [redacted: person]")
    p.add_argument("--key", metavar="FILE",
                   help="where to write the key (.csv/.xlsx/.parquet; default "
                        "<out>-key.csv beside the output folder); never inside a corpus")
    p.add_argument("--review", metavar="FILE",
                   help="where to write the review list (default <out>-review.csv in the "
                        "key's folder)")
    p.add_argument("--file-names", choices=["numbered", "keep"], default="numbered",
                   help="name new files doc01.txt ... (default) or keep the old paths")
    p.add_argument("--drop-column", action="append", default=[], metavar="COLUMN",
                   help="leave this metadata.csv/speakers.csv column out (repeatable)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a pseudonymised corpus written to --out before")
    _add_ingest_options(p)
    p.set_defaults(func=_cmd_pseudonymise)


def _cmd_pseudonymise(args: argparse.Namespace) -> int:
    from cmqual.cli import _ingest_options
    from cmqual.pseudonymise import pseudonymise_corpus

    result = pseudonymise_corpus(
        args.corpus, args.out, args.names, args.mode, key=args.key, review=args.review,
        file_names=args.file_names, drop_columns=args.drop_column,
        options=_ingest_options(args), overwrite=args.overwrite)
    counts = ", ".join(f"{t} {n}" for t, n in result.counts().itertuples(index=False) if n)
    print(f"wrote {len(result.texts)} pseudonymised documents to {result.out_dir}")
    print(f"replaced: {counts or 'nothing'}")
    print(f"key (secret): {result.key_path}")
    n = result.review["candidate"].nunique()
    print(f"review list: {n} candidate(s) to check in {result.review_path}")
    return 1 if result.problems else 0
