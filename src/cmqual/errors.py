"""The one error hierarchy of cmqual.

Every error a user can cause derives from :class:`CmqualError` *and* from the matching
built-in exception, so ``except ValueError`` keeps working for callers who do not know
cmqual. Messages are written for the researcher: they name the file, line, code id or
field, say what was wrong and how to fix it. Errors that gather several problems keep
them in ``problems`` (one line each) and print them one per line.

The CLI turns any :class:`CmqualError` into its message on stderr and exit code 2; the
traceback is shown only with ``--debug``.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "BatchError",
    "CmqualError",
    "CmqualWarning",
    "CodebookError",
    "ConfigError",
    "CorpusError",
    "DecodeError",
    "ExchangeError",
    "FormatError",
    "InputFileError",
    "MetadataError",
    "ProjectError",
    "ReliabilityError",
]


class CmqualError(Exception):
    """Root of all cmqual errors.

    Parameters
    ----------
    message : str
        One-line summary; when ``problems`` is given it is printed above them.
    problems : iterable of str, optional
        Every individual problem found, one line each (validation collects them all
        before raising, so the user can fix everything in one pass).
    """

    exit_code = 2

    def __init__(self, message: str, problems: Iterable[str] | None = None) -> None:
        self.problems: tuple[str, ...] = tuple(problems or ())
        self.summary = message
        super().__init__(message)

    def __str__(self) -> str:
        if not self.problems:
            return self.summary
        lines = [self.summary] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class CmqualWarning(UserWarning):
    """Warnings about input that cmqual could use but a person should check."""


class ConfigError(CmqualError, ValueError):
    """An argument or option has a value cmqual cannot use."""


class InputFileError(CmqualError, FileNotFoundError):
    """A path the user gave does not exist or is not the kind expected."""


class CorpusError(CmqualError, ValueError):
    """A corpus folder cannot be read (collects one problem per file)."""


class FormatError(CmqualError, ValueError):
    """A file's content does not match its format (bad docx, CSV without columns...)."""


class DecodeError(FormatError, UnicodeError):
    """Bytes that cannot be decoded as text (names the file and byte offset)."""


class MetadataError(CmqualError, ValueError):
    """``metadata.csv`` names files that do not exist or has unusable values."""


class CodebookError(CmqualError, ValueError):
    """A codebook fails validation (collects every problem found)."""


class ProjectError(CmqualError, ValueError):
    """A project store cannot be opened or an operation on it is invalid."""


class ExchangeError(CmqualError, ValueError):
    """A REFI-QDA or other exchange file is malformed or unsafe."""


class ReliabilityError(CmqualError, ValueError):
    """Agreement input is malformed (not for undefined coefficients: those give NaN)."""


class BatchError(CmqualError, RuntimeError):
    """A batch file is invalid or one of its runs failed."""
