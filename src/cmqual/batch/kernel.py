"""Kernels for batch runs: the running interpreter's ipykernel, started ahead of time.

Which Python runs the notebooks
-------------------------------
Notebooks run in the kernel named ``python3``, resolved to **the interpreter running the
batch** (``sys.executable -m ipykernel_launcher``, ipykernel's own spec), whatever
``python3`` kernel spec a user or system Jupyter folder holds. ``.venv/bin/cmqual batch run``
therefore runs every notebook with the venv's Python and packages; ipykernel must be
installed there (``pip install -e ".[notebook]"``).

Each run gets a fresh kernel (no state leaks between runs). The kernel runs with the
project root as working directory and these environment variables added:
``CMQUAL_PROJECT_ROOT`` (the root), ``PYTHONHASHSEED=0`` (set and dict-of-str iteration
order is the same in every run), ``SOURCE_DATE_EPOCH=0`` (matplotlib writes no creation
date into PDF/SVG/PS), ``MPLBACKEND`` is left to ipykernel (inline), and IPython's
history database is off (no writes to ``~/.ipython`` and no lock contention between
parallel kernels).

Speed
-----
Starting an ipykernel takes about a second, mostly imports. A batch worker starts the
kernel for its *next* run before executing the current one (:class:`KernelPool`), so
start-up overlaps with execution. A batch file's ``preload`` list names modules (e.g.
``cmqual``, ``matplotlib.pyplot``) that the spare kernel imports while it waits, silently
and without binding any name (``importlib.import_module``, not in the history, no
execution count): the notebook's own ``import`` then finds them loaded. Importing earlier
changes no result; a notebook that forgets an import still fails, as it would in
JupyterLab.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cmqual.batch.spec import ROOT_ENV

__all__ = ["KernelPool", "kernel_env", "skip_slow_optional_imports", "start_kernel"]

KERNEL_NAME = "python3"
_KERNEL_ARGS = ("--HistoryManager.enabled=False",)


def skip_slow_optional_imports() -> None:
    """Make jsonschema skip its optional IRI checker in processes cmqual owns.

    ``import nbformat`` imports jsonschema, which imports ``rfc3987_syntax`` when installed
    (JupyterLab pulls it in); that module compiles a Lark grammar at import time, 2-6 s on
    the reference machine, for ``iri`` formats nbformat never checks. Only the batch
    workers and the ``cmqual batch`` command call this, never a user's own process.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def kernel_env(root: Path) -> dict[str, str]:
    """Environment variables a batch adds for its kernels (recorded in each manifest)."""
    env = {ROOT_ENV: str(root), "PYTHONHASHSEED": "0"}
    env["SOURCE_DATE_EPOCH"] = os.environ.get("SOURCE_DATE_EPOCH", "0")
    return env


def _spec_manager() -> Any:
    from ipykernel.kernelspec import get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class CurrentPythonSpecs(KernelSpecManager):
        """Resolve ``python3`` to this interpreter; other names as Jupyter does."""

        def get_kernel_spec(self, kernel_name: str, *args: Any, **kwargs: Any) -> KernelSpec:
            if kernel_name == KERNEL_NAME:
                spec = get_kernel_dict(extra_arguments=list(_KERNEL_ARGS))
                spec["argv"][0] = sys.executable
                return KernelSpec(resource_dir="", **spec)
            return super().get_kernel_spec(kernel_name, *args, **kwargs)

    return CurrentPythonSpecs()


_PRELOAD = ("for __cmqual_module in {modules!r}:\n"
            "    __import__('importlib').import_module(__cmqual_module)\n"
            "del __cmqual_module\n")


class StartedKernel:
    """A kernel manager whose kernel is booting or ready, with its log file."""

    def __init__(self, km: Any, log: Any, preload: Sequence[str] = ()) -> None:
        self.km = km
        self.log = log
        self._preloading: threading.Thread | None = None
        if preload:
            self._preloading = threading.Thread(target=self._preload, args=(tuple(preload),),
                                                name="cmqual-preload", daemon=True)
            self._preloading.start()

    def _preload(self, modules: tuple[str, ...]) -> None:
        from jupyter_client import BlockingKernelClient

        kc = BlockingKernelClient()
        kc.load_connection_info(self.km.get_connection_info())
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            kc.execute_interactive(_PRELOAD.format(modules=list(modules)), silent=True,
                                   store_history=False, timeout=120,
                                   output_hook=lambda _msg: None)
        except Exception:  # a failed preload only costs time: the notebook imports itself
            pass
        finally:
            kc.stop_channels()

    def ready(self) -> StartedKernel:
        """Wait until preloading (if any) has finished; return self."""
        if self._preloading is not None:
            self._preloading.join()
            self._preloading = None
        return self

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the kernel process wrote to stdout/stderr (for dead kernels)."""
        try:
            self.log.flush()
            self.log.seek(0)
            text = self.log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        keep = [x for x in text.splitlines() if x.strip() and "WARNING |" not in x]
        return "\n".join(keep[-lines:])

    def shutdown(self) -> None:
        """Kill the kernel now and release its resources (results are already written)."""
        from jupyter_core.utils import run_sync

        self.ready()
        try:
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # a kernel that is already gone needs no shutdown
            pass
        finally:
            self.log.close()


def start_kernel(root: Path, env: Mapping[str, str] | None = None,
                 preload: Sequence[str] = ()) -> StartedKernel:
    """Launch a fresh ``python3`` kernel in ``root``; returns without waiting for it."""
    from jupyter_client import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=_spec_manager())
    full_env = {"PYDEVD_DISABLE_FILE_VALIDATION": "1",  # quiets debugpy's start-up notice
                **os.environ, **(env or kernel_env(root))}
    # The log lives as long as the kernel; StartedKernel.shutdown closes it.
    log = tempfile.TemporaryFile(prefix="cmqual-kernel-")  # noqa: SIM115
    run_sync(km.start_kernel)(cwd=str(root), env=full_env, stdout=log, stderr=log)
    return StartedKernel(km, log, preload)


class KernelPool:
    """One spare kernel per worker process, started while the previous run executes.

    Parameters
    ----------
    root : Path
        Working directory of the kernels (the project root).
    preload : sequence of str
        Modules the spare kernel imports while it waits.
    """

    def __init__(self, root: Path, preload: Sequence[str] = ()) -> None:
        self.root = root
        self.preload = tuple(preload)
        self._spare: StartedKernel | None = None

    def prestart(self) -> None:
        """Start the spare kernel if there is none."""
        if self._spare is None:
            self._spare = start_kernel(self.root, preload=self.preload)

    def take(self, prestart_next: bool = True) -> StartedKernel:
        """The spare kernel, preloaded (or a new one); starts the next spare when asked."""
        kernel = self._spare or start_kernel(self.root, preload=self.preload)
        self._spare = None
        if prestart_next:
            self.prestart()
        return kernel.ready()

    def close(self) -> None:
        """Shut the spare kernel down."""
        if self._spare is not None:
            self._spare.shutdown()
            self._spare = None
