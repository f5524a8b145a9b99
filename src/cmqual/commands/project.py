"""``cmqual project``: create a project, show its status, export and import codings.

A thin shell over :mod:`cmqual.project`::

    cmqual project init projects/inquiry --corpus corpora/sample --codebook scoping-study
    cmqual project status projects/inquiry
    cmqual project export projects/inquiry --out outputs/quotes.xlsx
    cmqual project import projects/inquiry from_colleague.xlsx
    cmqual project export-qdpx projects/inquiry outputs/inquiry.qdpx
    cmqual project import-qdpx from_nvivo.qdpx projects/from_nvivo
"""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``cmqual project`` and its subcommands to the CLI's sub-parsers."""
    parser = sub.add_parser("project", help="create and manage a coding project",
                            description="Create a coding project, show its status, and "
                                        "export or import its codings as a quotes table.")
    actions = parser.add_subparsers(dest="project_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    p = actions.add_parser("init", help="create a project folder")
    p.add_argument("path", help="project folder to create")
    p.add_argument("--corpus", required=True, metavar="DIR", help="corpus folder")
    p.add_argument("--codebook", action="append", default=[], metavar="ID_OR_FILE",
                   help="built-in codebook id or codebook file (repeatable)")
    p.set_defaults(func=_cmd_init)

    p = actions.add_parser("status", help="summarise a project's codings")
    p.add_argument("path", help="project folder")
    p.set_defaults(func=_cmd_status)

    p = actions.add_parser("export", help="write the codings as a one-row-per-quote table")
    p.add_argument("path", help="project folder")
    p.add_argument("--out", required=True, metavar="FILE", help="table to write (.csv, .xlsx)")
    p.add_argument("--human-only", action="store_true",
                   help="leave out automatic codings and suggestions")
    p.add_argument("--with-times", action="store_true",
                   help="add the created and modified times of each coding")
    p.set_defaults(func=_cmd_export)

    p = actions.add_parser("import", help="add codings from a quotes table (all or nothing)")
    p.add_argument("path", help="project folder")
    p.add_argument("file", help="quotes table (.csv or .xlsx)")
    p.set_defaults(func=_cmd_import)

    p = actions.add_parser(
        "export-qdpx",
        help="write the whole project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, "
        "MAXQDA or QualCoder",
    )
    p.add_argument("path", help="project folder")
    p.add_argument("out", help=".qdpx file to write")
    p.add_argument("--human-only", action="store_true",
                   help="leave out automatic codings and suggestions")
    p.set_defaults(func=_cmd_export_qdpx)

    from cmqual.io.qdpx import POSITION_CONVENTIONS

    p = actions.add_parser(
        "import-qdpx",
        help="create a project from a REFI-QDA project (.qdpx) written by NVivo, ATLAS.ti, "
        "MAXQDA, QualCoder or cmqual",
    )
    p.add_argument("file", help=".qdpx file to read")
    p.add_argument("path", help="project folder to create (new or empty)")
    p.add_argument("--positions", choices=POSITION_CONVENTIONS, default="auto",
                   help="how the file counts text positions: 'stored' counts the text as "
                   "stored (CRLF = 2, the REFI-QDA rule), 'lf' counts every line break as one "
                   "character, 'crlf' as two; '-utf16' counts UTF-16 code units; 'auto' "
                   "(default) decides per source and warns when it reads one another way")
    p.set_defaults(func=_cmd_import_qdpx)


def _cmd_init(args: argparse.Namespace) -> int:
    from cmqual.project import init_project

    with init_project(args.path, args.corpus, args.codebook) as project:
        print(f"created project {project.name} in {args.path}: corpus {project.config.corpus}"
              f", codebooks {', '.join(project.config.codebooks) or '(none)'}")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from cmqual.project import open_project

    with open_project(args.path) as project:
        status = project.status()
    width = max(len(m) for m in status["measure"])
    for measure, value in status.itertuples(index=False):
        print(f"{measure:<{width}}  {value}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from cmqual.io.quotes import QUOTE_EXTENSIONS
    from cmqual.io.tables import check_output_path
    from cmqual.project import open_project

    check_output_path(args.out, QUOTE_EXTENSIONS)
    with open_project(args.path) as project:
        project.export_quotes(args.out, include_auto=not args.human_only,
                              include_times=args.with_times)
        n = len(project.store.codings_frame(
            origins=None if not args.human_only else ["human", "suggestion-accepted"]))
    print(f"wrote {n} codings to {args.out}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from cmqual.project import open_project

    with open_project(args.path) as project:
        result = project.import_quotes(args.file)
    print(f"imported {result.added} codings from {args.file} ({result.unchanged} already "
          f"present, {result.memos_updated} memos updated)")
    return 0


def _cmd_export_qdpx(args: argparse.Namespace) -> int:
    from cmqual.io.qdpx import export_qdpx
    from cmqual.project import open_project

    with open_project(args.path) as project:
        export_qdpx(project, args.out, include_auto=not args.human_only)
        codings = project.store.codings_frame(
            origins=None if not args.human_only else ["human", "suggestion-accepted"])
        n_docs = len(project.corpus)
    print(f"wrote {n_docs} documents and {len(codings)} codings by "
          f"{codings['coder'].nunique()} coder(s) to {args.out}")
    return 0


def _cmd_import_qdpx(args: argparse.Namespace) -> int:
    from cmqual.io.qdpx import import_qdpx

    with import_qdpx(args.file, args.path, positions=args.positions) as project:
        codings = project.store.codings_frame()
        n_docs, n_books = len(project.corpus), len(project.config.codebooks)
        coders = sorted(set(codings["coder"]))
    print(f"created project {args.path} from {args.file}: {n_docs} documents, "
          f"{len(codings)} codings by {', '.join(coders) or 'nobody'}, {n_books} codebook(s)")
    return 0
