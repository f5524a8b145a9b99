"""Subcommands of the ``cmqual`` CLI, one module per area.

Each module defines ``register(sub)``, adding its subparsers to the ``argparse``
sub-parser action ``sub`` and setting ``func`` (a function of the parsed arguments that
returns the exit code) on each. :mod:`cmqual.cli` calls every module listed in
:data:`MODULES`. Commands stay thin: parse, call the public API, print, return a code.
"""

MODULES: tuple[str, ...] = (
    "cmqual.commands.codebook",
    "cmqual.commands.code",
    "cmqual.commands.agree",
    "cmqual.commands.project",
    "cmqual.commands.report",
    "cmqual.commands.batch",
    "cmqual.commands.suggest",
    "cmqual.commands.pseudonymise",
)
