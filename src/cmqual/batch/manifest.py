"""Run manifests: what went into a run, what came out, and with which software.

Every run folder ``outputs/<batch>/<run id>/`` holds ``manifest.json`` (UTF-8, sorted keys,
two-space indent)::

    {
      "cmqual_manifest": 1,
      "batch": "demo",
      "run_id": "01_corpus_overview-3f2a9c1b07",
      "status": "completed",                      # or "failed"
      "notebook": {"path": "notebooks/01_corpus_overview.ipynb", "sha256": "..."},
      "executed_notebook": "01_corpus_overview.ipynb",
      "parameters": {"level": "turn"},            # as given by the batch
      "injected": {"output_dir": "outputs/demo/.incomplete/<run id>/results"},
      "defaults": {"corpus": "'corpora/sample'", ...},   # the notebook's, as written
      "inputs": [
        {"path": "corpora/sample", "kind": "folder", "sha256": "...",
         "parameter": "corpus", "files": {"metadata.csv": "...", ...}},
        {"path": "codebooks", "kind": "folder", "sha256": "...", "parameter": null, ...}
      ],
      "fingerprint": "...",            # SHA-256 of notebook hash, parameters, input hashes
      "results": {"documents.csv": {"sha256": "...", "bytes": 1234}, ...},
      "error": null,                   # or {"cell_index", "execution_count", "cell",
                                       #     "ename", "evalue", "last_line"}
      "environment": {"python": "3.11.7", "implementation": "CPython", "platform": "...",
                      "executable": "...", "cmqual": "0.1.0",
                      "packages": {"pandas": "...", ...}, "kernel": "python3",
                      "kernel_env": {"PYTHONHASHSEED": "0", ...}},
      "timing": {"started": "2025-01-01T10:00:00.000000+00:00",
                 "finished": "...", "seconds": 1.234},
      "host": "..."
    }

Inputs
------
The notebook itself, every parameter (given or default) whose value is text naming an
existing file or folder under the project root (lists of such texts too), and the paths
listed under ``inputs`` in the batch file. A file's hash is the SHA-256 of its bytes; a
folder's hash is the SHA-256 of its ``<relative path>\\t<file sha256>\\n`` lines in sorted
order, skipping names that start with ``.`` and ``__pycache__``. The project root itself,
its parents and the output folder are never inputs. Wall-clock times live only here, never
in result files.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from cmqual.batch.spec import canonical_json

__all__ = ["MANIFEST", "hash_file", "hash_input", "read_manifest"]

MANIFEST = "manifest.json"
RESULTS = "results"
#: Packages whose versions each manifest records (those installed).
KEY_PACKAGES = ("cmqual", "pandas", "numpy", "matplotlib", "scikit-learn", "nltk", "pyarrow",
                "PyYAML", "papermill", "nbclient", "nbformat", "ipykernel", "jupyter_client",
                "dask", "distributed")


def hash_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _skipped(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def folder_files(folder: Path) -> list[str]:
    """Files under ``folder`` (relative POSIX paths, sorted), without hidden entries."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
        base = Path(dirpath)
        out.extend((base / f).relative_to(folder).as_posix()
                   for f in filenames if not _skipped(f))
    return sorted(out)


def hash_input(path: Path, rel: str) -> dict[str, Any]:
    """Describe one input file or folder with its SHA-256 (see the module docs)."""
    if path.is_dir():
        files = {f: hash_file(path / f) for f in folder_files(path)}
        lines = "".join(f"{f}\t{h}\n" for f, h in files.items())
        return {"path": rel, "kind": "folder",
                "sha256": hashlib.sha256(lines.encode("utf-8")).hexdigest(), "files": files}
    return {"path": rel, "kind": "file", "sha256": hash_file(path)}


def candidate_paths(value: object) -> list[str]:
    """Texts in a parameter value that could name files (the value, or a list's items)."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


def is_input_path(path: Path, root: Path, excluded: Iterable[Path]) -> bool:
    """True when ``path`` exists and is neither the root, a parent of it, nor excluded."""
    try:
        if not path.exists():
            return False
        resolved = path.resolve()
    except (OSError, ValueError):  # names too long or with NUL bytes are not paths
        return False
    if resolved == root or resolved in root.parents:
        return False
    for ex in excluded:
        if resolved == ex or ex in resolved.parents or resolved in ex.parents:
            return False
    return True


def fingerprint(notebook: Mapping[str, str], parameters: Mapping[str, Any],
                inputs: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 that changes when the notebook, the parameters or any input changes."""
    key = canonical_json({
        "notebook": notebook["sha256"],
        "parameters": dict(parameters),
        "inputs": sorted([i["path"], i["sha256"]] for i in inputs),
    })
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def hash_results(folder: Path) -> dict[str, dict[str, Any]]:
    """``{relative path: {"sha256", "bytes"}}`` for every file under ``folder``."""
    if not folder.is_dir():
        return {}
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for f in sorted(filenames):
            p = Path(dirpath) / f
            out[p.relative_to(folder).as_posix()] = {"sha256": hash_file(p),
                                                     "bytes": p.stat().st_size}
    return dict(sorted(out.items()))


@functools.lru_cache(maxsize=1)
def _packages() -> tuple[tuple[str, str], ...]:
    packages = []
    for name in KEY_PACKAGES:
        try:
            packages.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(packages)


def environment(kernel_env: Mapping[str, str]) -> dict[str, Any]:
    """Python, platform and key package versions of the process running the kernel."""
    packages = dict(_packages())
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "executable": sys.executable,
        "cmqual": packages.get("cmqual", ""),
        "packages": packages,
        "kernel": "python3",
        "kernel_env": dict(kernel_env),
    }


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest as written: sorted keys, two-space indent, trailing newline."""
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
            ).encode("utf-8")


def read_manifest(run_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest of a run folder, or None when it is missing or unreadable."""
    path = Path(run_dir) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("cmqual_manifest") else None
