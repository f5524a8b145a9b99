"""``cmqual batch run|verify``: thin shell over :mod:`cmqual.batch`.

Exit codes: 0 all runs completed (or identical), 1 some run failed (or differs), 2 the
batch file or an option is invalid (nothing ran).
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


def _cmd_run(args: argparse.Namespace) -> int:
    from cmqual.batch import load_batch, run_batch
    from cmqual.batch.kernel import skip_slow_optional_imports

    skip_slow_optional_imports()
    spec = load_batch(args.batch)
    if args.dry_run:
        for run in spec.runs:
            print(f"{run.run_id}  {run.notebook}  "
                  f"{json.dumps(dict(run.parameters), sort_keys=True, ensure_ascii=False)}")
        print(f"{len(spec.runs)} runs in batch {spec.name}; parameters check out")
        return 0
    result = run_batch(spec, workers=args.workers, resume=args.resume,
                       scheduler=args.scheduler, out_root=args.out_root,
                       progress=args.progress,
                       timeout=args.timeout)
    print(result.summary(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def _cmd_verify(args: argparse.Namespace) -> int:
    from cmqual.batch import verify_batch
    from cmqual.batch.kernel import skip_slow_optional_imports

    skip_slow_optional_imports()
    result = verify_batch(args.folder, against=args.against, workers=args.workers,
                          scheduler=args.scheduler)
    print(result.summary())
    return 0 if result.ok else 1


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``cmqual batch`` and its subcommands to the CLI."""
    p = sub.add_parser("batch", help="run parameterised notebooks reproducibly (papermill)")
    batch_sub = p.add_subparsers(dest="batch_command", metavar="SUBCOMMAND")

    def usage(_args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=usage)

    r = batch_sub.add_parser(
        "run", help="run every notebook/parameter set of a batch file",
        description="Run a batch file (batches/NAME.yaml) into outputs/NAME/<run id>/. "
                    "Exit 1 when a run failed, 2 when the batch file is invalid.")
    r.add_argument("batch", help="batch file, e.g. batches/demo.yaml")
    r.add_argument("--workers", type=_positive_int, metavar="N",
                   help="worker processes (default: the batch file's, else the core count)")
    r.add_argument("--resume", action="store_true",
                   help="skip runs already completed with the same notebook, parameters "
                        "and input hashes")
    r.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler to submit runs to, e.g. tcp://host:8786 "
                        "(needs dask[distributed]; the project must be on a shared path)")
    r.add_argument("--out-root", default="outputs", metavar="DIR",
                   help="folder for batch outputs, relative to the project root "
                        "(default: outputs)")
    r.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="maximum seconds per cell (default: the batch file's, else none)")
    r.add_argument("--dry-run", action="store_true",
                   help="check the batch file and list its runs without running them")
    bar = r.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="always show the progress bar (default: only on a terminal)")
    bar.add_argument("--no-progress", dest="progress", action="store_false")
    r.set_defaults(func=_cmd_run)

    v = batch_sub.add_parser(
        "verify", help="rerun a batch (or compare with another folder) and report differences",
        description="Compare every run's result files byte for byte and its executed "
                    "notebook's outputs. Exit 1 when anything differs.")
    v.add_argument("folder", help="batch output folder, e.g. outputs/demo")
    v.add_argument("--against", metavar="OTHER_DIR",
                   help="compare with this batch folder instead of rerunning")
    v.add_argument("--workers", type=_positive_int, metavar="N",
                   help="worker processes for the rerun")
    v.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler for the rerun")
    v.set_defaults(func=_cmd_verify)
