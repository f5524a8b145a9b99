"""Benchmark: overhead per notebook of `cmqual.batch.run_batch` on a trivial notebook.

Builds a throw-away project with one notebook that assigns a parameter and writes one small
file, runs it with N parameter sets on W worker processes (default 20 runs, 2 workers) and
prints the wall time per notebook: everything is overhead (worker start, kernel start,
papermill, manifest, hashing, atomic moves). Target (issue "Parameterised analysis
notebooks"): <= 1 s per notebook with 2 workers. Anchors measured on the reference machine:
the papermill CLI takes 2.6 s per notebook, its Python API 0.5-1.0 s (`--baseline` measures
the API here, sequentially in one process, fresh kernel per notebook).

    python benchmarks/batch.py [--runs 20] [--workers 2] [--baseline 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from cmqual.batch import load_batch, run_batch
from cmqual.batch.kernel import skip_slow_optional_imports


def make_project(folder: Path) -> Path:
    (folder / "notebooks").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('x: int = 0\noutput_dir: str = "out"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        'from pathlib import Path\n\nPath(output_dir, "x.txt").write_text(f"{x}\\n")\nx')]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "notebooks" / "trivial.ipynb"
    nbformat.write(nb, path)
    return path


def baseline(path: Path, n: int, out: Path) -> float:
    import papermill

    out.mkdir()
    t0 = time.perf_counter()
    for i in range(n):
        papermill.execute_notebook(str(path), str(out / f"{i}.ipynb"), kernel_name="python3",
                                   parameters={"x": i, "output_dir": str(out)}, progress_bar=False)
    return (time.perf_counter() - t0) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", type=int, default=0, metavar="N",
                        help="also time N notebooks with papermill.execute_notebook in-process")
    args = parser.parse_args()
    skip_slow_optional_imports()
    with tempfile.TemporaryDirectory(prefix="cmqual-bench-") as tmp:
        root = Path(tmp)
        nb = make_project(root)
        spec = load_batch({"name": "bench", "runs": [
            {"notebook": "notebooks/trivial.ipynb", "grid": {"x": list(range(args.runs))}}]},
            root=root)
        t0 = time.perf_counter()
        result = run_batch(spec, workers=args.workers, progress=False)
        wall = time.perf_counter() - t0
        if not result.ok:
            print(result.summary(), file=sys.stderr)
            return 1
        resumed0 = time.perf_counter()
        run_batch(spec, workers=args.workers, resume=True, progress=False)
        resumed = time.perf_counter() - resumed0
        per_run = sorted(r.seconds for r in result.runs)
        print(f"runs: {args.runs}, workers: {args.workers}")
        print(f"wall time:                      {wall:6.2f} s")
        print(f"overhead per notebook (wall/N): {wall / args.runs:6.2f} s   (target <= 1 s)")
        print(f"run time in a worker (median):  {per_run[len(per_run) // 2]:6.2f} s   "
              "(kernel wait + papermill + manifest)")
        print(f"resume, all {args.runs} skipped:        {resumed:6.2f} s")
        if args.baseline:
            per = baseline(nb, args.baseline, root / "baseline")
            print(f"papermill API, sequential:      {per:6.2f} s per notebook")
    return 0


if __name__ == "__main__":
    sys.exit(main())
