"""``cmqual codebook``: list, show, validate, export and import codebooks."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from cmqual.errors import ConfigError

EXPORT_FORMATS = ("qdc", "csv", "xlsx", "md", "html", "yaml")
IMPORT_EXTENSIONS = (".qdc", ".csv", ".xlsx", ".yaml", ".yml")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("codebook", help="list, show, validate, export and import codebooks")
    csub = p.add_subparsers(dest="codebook_command", metavar="ACTION", required=True)

    q = csub.add_parser("list", help="the built-in codebooks")
    q.set_defaults(func=_list)

    q = csub.add_parser("show", help="a codebook's codes with their definitions")
    q.add_argument("codebook", help="built-in id (e.g. scoping-study, default) or YAML path")
    q.set_defaults(func=_show)

    q = csub.add_parser("validate", help="check a codebook file and report every problem")
    q.add_argument("path", help="codebook YAML file")
    q.set_defaults(func=_validate)

    q = csub.add_parser("export", help="write a codebook as REFI-QDA .qdc, CSV, XLSX, MD, HTML")
    q.add_argument("codebook", help="built-in id or YAML path")
    q.add_argument("--format", choices=EXPORT_FORMATS,
                   help="output format (default: from the --out extension)")
    q.add_argument("--out", required=True, help="file to write")
    q.set_defaults(func=_export)

    q = csub.add_parser("import", help="turn a .qdc or codebook CSV/XLSX into cmqual YAML")
    q.add_argument("file", help="a .qdc (from NVivo, ATLAS.ti, MAXQDA, QualCoder), .csv or .xlsx")
    q.add_argument("--out", required=True, help="YAML file to write")
    q.set_defaults(func=_import)


def _list(args: argparse.Namespace) -> int:
    from cmqual.codebook import DEFAULT_SELECTION, list_codebooks

    table = list_codebooks()
    with pd.option_context("display.width", 160, "display.max_colwidth", 60):
        print(table.drop(columns=["path"]).to_string(index=False))
    print(f"\ndefault selection: {', '.join(DEFAULT_SELECTION)}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from cmqual.codebook import iter_codes, read_codebook

    cb = read_codebook(args.codebook)
    print(f"{cb.title} ({cb.id}, version {cb.version})")
    for code in iter_codes(cb):
        depth = code.path.count("/")
        indent = "  " * depth
        print(f"{indent}- {code.ref}: {code.label}")
        if code.definition:
            print(f"{indent}    {' '.join(code.definition.split())[:200]}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from cmqual.codebook import codebook_hash, iter_codes, read_codebook

    cb = read_codebook(Path(args.path))
    n = len(list(iter_codes(cb)))
    print(f"ok: {args.path} is a valid codebook ({cb.id}, version {cb.version}, {n} codes, "
          f"hash {codebook_hash(cb)[:12]})")
    return 0


def _format_of(path: str, given: str | None, allowed: tuple[str, ...]) -> str:
    fmt = given or Path(path).suffix.lower().lstrip(".")
    fmt = "yaml" if fmt == "yml" else fmt
    if fmt not in allowed:
        raise ConfigError(f"cannot tell the format of {path!r}; use --format with one of "
                          f"{', '.join(allowed)}")
    return fmt


def _export(args: argparse.Namespace) -> int:
    from cmqual.codebook import Codebook, read_codebook, write_codebook
    from cmqual.io.codebook_doc import write_codebook_document
    from cmqual.io.codebook_table import write_codebook_table
    from cmqual.io.qdc import write_qdc
    from cmqual.io.tables import check_output_path

    fmt = _format_of(args.out, args.format, EXPORT_FORMATS)
    check_output_path(args.out)
    cb = read_codebook(args.codebook)
    if not isinstance(cb, Codebook):
        raise ConfigError(f"{args.codebook!r} is a selection of several codebooks; export each "
                          "codebook by its id")
    writers = {"qdc": write_qdc, "csv": write_codebook_table, "xlsx": write_codebook_table,
               "md": write_codebook_document, "html": write_codebook_document,
               "yaml": write_codebook}
    writers[fmt](cb, args.out)
    print(f"wrote {args.out} ({fmt})")
    return 0


def _import(args: argparse.Namespace) -> int:
    from cmqual.codebook import iter_codes, read_codebook, write_codebook
    from cmqual.io.codebook_table import read_codebook_table
    from cmqual.io.qdc import read_qdc
    from cmqual.io.tables import check_output_path

    suffix = Path(args.file).suffix.lower()
    if suffix not in IMPORT_EXTENSIONS:
        raise ConfigError(f"cannot import {args.file!r}: use a file ending in "
                          f"{', '.join(IMPORT_EXTENSIONS)}")
    check_output_path(args.out, (".yaml", ".yml"))
    if suffix == ".qdc":
        cb = read_qdc(args.file)
    elif suffix in (".csv", ".xlsx"):
        cb = read_codebook_table(args.file)
    else:
        cb = read_codebook(Path(args.file))
    write_codebook(cb, args.out)
    print(f"wrote {args.out}: {cb.id}, {len(list(iter_codes(cb)))} codes")
    return 0
