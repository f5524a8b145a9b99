"""Tests for cmqual.batch: batch files, parameter checks, runs, manifests, resume, verify.

Runs use the tiny notebooks in tests/data/batch (trivial, failing, noisy, typed), copied
into a throw-away project so outputs land in tmp folders. The notebooks in notebooks/ are
executed on the sample corpus in the slow tests.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from cmqual.batch import (
    BatchResult,
    check_parameters,
    load_batch,
    notebook_parameters,
    project_root,
    run_batch,
    run_id,
    verify_batch,
)
from cmqual.batch.execute import INCOMPLETE, REPLACED, install, recover
from cmqual.batch.verify import compare_runs, notebook_differences
from cmqual.cli import main
from cmqual.errors import BatchError

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "batch"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def make_project(folder: Path, batch: dict | None = None, name: str = "t") -> Path:
    """A project with the test notebooks in notebooks/ and, optionally, batches/<name>.yaml."""
    import yaml

    (folder / "notebooks").mkdir(parents=True, exist_ok=True)
    (folder / "batches").mkdir(exist_ok=True)
    for nb in DATA.glob("*.ipynb"):
        shutil.copy(nb, folder / "notebooks" / nb.name)
    (folder / "data.txt").write_text("input text\n", encoding="utf-8")
    if batch is not None:
        path = folder / "batches" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(batch, sort_keys=False), encoding="utf-8")
        return path
    return folder


# -- batch files ---------------------------------------------------------------------------

def test_load_batch_expands_defaults_sets_and_grid(tmp_path):
    path = make_project(tmp_path, {
        "defaults": {"name": "d"},
        "runs": [
            {"notebook": "notebooks/trivial.ipynb", "parameters": {"scale": 2.0},
             "sets": [{"name": "s1"}, {"name": "s2"}], "grid": {"x": [1, 2, 3]}},
            "notebooks/noisy.ipynb",
        ],
    })
    spec = load_batch(path)
    assert spec.name == "t" and spec.root == tmp_path.resolve()
    assert len(spec.runs) == 7
    first = spec.runs[0]
    assert first.notebook == "notebooks/trivial.ipynb"
    assert dict(first.parameters) == {"name": "s1", "scale": 2.0, "x": 1}
    assert {r.parameters["name"] for r in spec.runs[:6]} == {"s1", "s2"}
    assert spec.runs[-1].notebook.endswith("noisy.ipynb")
    assert dict(spec.runs[-1].parameters) == {}  # noisy.ipynb declares no 'name'
    assert len({r.run_id for r in spec.runs}) == 7
    assert first.run_id.startswith("trivial-") and len(first.run_id) == len("trivial-") + 10


def test_run_id_is_canonical_and_content_derived():
    a = run_id("notebooks/a.ipynb", {"x": 1, "y": [1, 2]})
    assert a == run_id("notebooks/a.ipynb", {"y": [1, 2], "x": 1})
    assert a != run_id("notebooks/a.ipynb", {"x": 2, "y": [1, 2]})
    assert a != run_id("other/a.ipynb", {"x": 1, "y": [1, 2]})


def test_load_batch_reports_every_problem_at_once(tmp_path):
    path = make_project(tmp_path, {
        "nmae": "typo",
        "workers": 0,
        "runs": [
            {"notebook": "notebooks/missing.ipynb"},
            {"notebook": "notebooks/trivial.ipynb", "grid": {"x": 3}},
            {"notebook": "notebooks/trivial.ipynb", "parmeters": {}},
        ],
    })
    with pytest.raises(BatchError) as info:
        load_batch(path)
    text = str(info.value)
    assert "nothing was run" in text
    assert "unknown key 'nmae'" in text
    assert "workers must be a positive integer" in text
    assert "'notebooks/missing.ipynb' does not exist" in text
    assert "grid.x: must be a non-empty list" in text
    assert "unknown key 'parmeters'" in text
    assert len(info.value.problems) == 5


def test_parameter_problems_are_all_reported_with_hints(tmp_path):
    path = make_project(tmp_path, {"runs": [
        {"notebook": "notebooks/trivial.ipynb", "grid": {"x": [1, "two", True]},
         "parameters": {"nmae": "z", "scale": "big"}},
        {"notebook": "notebooks/typed.ipynb", "parameters": {"coders": ["A", 3]}},
        {"notebook": "notebooks/trivial.ipynb", "parameters": {"output_dir": "elsewhere"}},
    ]})
    with pytest.raises(BatchError) as info:
        load_batch(path)
    text = str(info.value)
    assert "unknown parameter 'nmae' (did you mean 'name'?)" in text
    assert "declares: x, name, scale, data, sleep, output_dir" in text
    assert "(in 3 of 4 parameter sets)" in text  # the fixed typo, counted once
    assert "parameter 'x' = 'two' (text) is not int" in text
    assert "parameter 'x' = true (bool) is not int" in text
    assert "parameter 'scale' = 'big' (text) is not float (the type of its default 1.0)" in text
    assert "parameter 'coders' = [\"A\",3] (list) is not list[str]" in text
    assert "parameter 'codebook' is required" in text
    assert "'output_dir' is set by the batch runner" in text


def test_yaml_dates_and_bad_yaml_are_explained(tmp_path):
    make_project(tmp_path)
    bad = tmp_path / "batches" / "dates.yaml"
    bad.write_text("runs:\n  - notebook: notebooks/trivial.ipynb\n"
                   "    parameters: {name: 2024-01-31}\n", encoding="utf-8")
    with pytest.raises(BatchError, match="quote it"):
        load_batch(bad)
    broken = tmp_path / "batches" / "broken.yaml"
    broken.write_text("runs: [\n", encoding="utf-8")
    with pytest.raises(BatchError, match=r"broken.yaml line \d+: not valid YAML"):
        load_batch(broken)


def test_defaults_nobody_declares_are_an_error(tmp_path):
    path = make_project(tmp_path, {"defaults": {"corpus": "x"},
                                   "runs": ["notebooks/trivial.ipynb"]})
    with pytest.raises(BatchError, match=r"defaults\.corpus is not a parameter of any notebook"):
        load_batch(path)


def test_root_key_and_mapping_specs(tmp_path):
    make_project(tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "b.yaml").write_text("root: ..\nruns: [notebooks/trivial.ipynb]\n", encoding="utf-8")
    assert load_batch(other / "b.yaml").root == tmp_path.resolve()
    spec = load_batch({"runs": ["notebooks/trivial.ipynb"]}, root=tmp_path)
    assert spec.name == "batch" and spec.runs[0].parameters == {}


# -- parameters ----------------------------------------------------------------------------

def test_notebook_parameters_reads_annotations_papermill_skips():
    params = notebook_parameters(DATA / "typed.ipynb")
    assert list(params) == ["codebook", "coders", "level", "threshold", "note", "output_dir",
                            "extra"]
    assert params["extra"].annotation == "str | None" and not params["extra"].required
    assert params["codebook"].required and params["codebook"].help == "required"
    assert params["level"].type_text == "str"


@pytest.mark.parametrize(("values", "fragment"), [
    ({"codebook": "c", "threshold": 1}, None),  # float accepts int
    ({"codebook": "c", "note": None, "extra": None}, None),
    ({"codebook": "c", "extra": 3}, "is not str | None"),
    ({"codebook": "c", "note": 3}, "is not Optional[str]"),
    ({"codebook": "c", "threshold": True}, "is not float"),
    ({"codebook": "c", "level": 1}, "is not str"),
    ({"codebook": None}, "'codebook' is required"),
    ({}, "'codebook' is required"),
])
def test_check_parameters(values, fragment):
    if fragment is None:
        check_parameters(DATA / "typed.ipynb", values)
        return
    with pytest.raises(BatchError, match="parameter problem") as info:
        check_parameters(DATA / "typed.ipynb", values)
    assert fragment in str(info.value)


def test_check_parameters_names_the_set(tmp_path):
    with pytest.raises(BatchError) as info:
        check_parameters(DATA / "trivial.ipynb", [{"x": 1}, {"y": 2}])
    assert "set 2: unknown parameter 'y'" in str(info.value)


def test_notebook_without_parameters_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
    path = tmp_path / "plain.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(BatchError, match="no cell tagged 'parameters'"):
        notebook_parameters(path)


def test_project_root(tmp_path, monkeypatch):
    make_project(tmp_path)
    monkeypatch.delenv("CMQUAL_PROJECT_ROOT", raising=False)
    assert project_root(tmp_path / "notebooks") == tmp_path.resolve()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert project_root() == tmp_path.resolve()
    monkeypatch.setenv("CMQUAL_PROJECT_ROOT", "/somewhere")
    assert project_root() == Path("/somewhere")


# -- the notebooks in notebooks/ -----------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_repository_notebooks_are_clean_and_parameterised(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "clear outputs"
        assert set(cell.metadata) <= {"tags"}, "no execution metadata in the repository"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = notebook_parameters(path)
    assert "output_dir" in params
    check_parameters(path, {})  # runs with its defaults


# -- running -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """One CLI run: two trivial runs (one reading data.txt) and a failing one."""
    folder = tmp_path_factory.mktemp("project")
    path = make_project(folder, {"name": "t", "runs": [
        {"notebook": "notebooks/trivial.ipynb", "sets": [{"x": 1}, {"x": 2, "data": "data.txt"}]},
        {"notebook": "notebooks/failing.ipynb", "parameters": {"x": 7}},
    ]})
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["batch", "run", str(path), "--workers", "2"])
    return folder, path, code, out.getvalue() + err.getvalue()


def test_failed_run_is_summarised_and_others_complete(ran):
    folder, _, code, output = ran
    assert code == 1
    assert "2 completed, 1 failed" in output
    assert "notebooks/failing.ipynb" in output and '{"x":7}' in output
    assert "cell 4 (In [4]): if fail:" in output
    assert "ValueError: boom 7" in output
    batch_dir = folder / "outputs" / "t"
    failed = next(batch_dir.glob("failing-*"))
    manifest = json.loads((failed / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["error"]["last_line"] == "ValueError: boom 7"
    assert (failed / "failing.ipynb").is_file()  # the executed notebook shows the error
    assert not (batch_dir / INCOMPLETE).exists()


def test_run_folder_and_manifest(ran):
    folder, _, _, _ = ran
    batch_dir = folder / "outputs" / "t"
    spec = json.loads((batch_dir / "batch.json").read_text())
    with_data = next(r for r in spec["runs"] if r["parameters"].get("data"))
    run_dir = batch_dir / with_data["run_id"]
    assert sorted(p.name for p in run_dir.iterdir()) == ["manifest.json", "results",
                                                         "trivial.ipynb"]
    results = run_dir / "results"
    assert (results / "result.txt").read_text() == "a 2 2.0\n"
    assert (results / "data_copy.txt").read_text() == "input text\n"
    executable, cwd, env_root = (results / "env.txt").read_text().split("\n")
    assert Path(executable).resolve() == Path(sys.executable).resolve()  # this venv's kernel
    assert Path(cwd) == folder.resolve() and Path(env_root) == folder.resolve()
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["status"] == "completed" and m["error"] is None
    assert m["parameters"] == {"data": "data.txt", "x": 2}
    assert m["notebook"]["path"] == "notebooks/trivial.ipynb" and len(m["notebook"]["sha256"]) == 64
    assert m["inputs"] == [{"kind": "file", "parameter": "data", "path": "data.txt", "sha256":
                            "a46f24d1f9ff6d2b897f7992b811a8ffe436d99155502d33e2d4e1e713a4f6cf"}]
    assert m["results"]["result.txt"]["bytes"] == 8
    import hashlib

    for name, info in m["results"].items():
        assert hashlib.sha256((results / name).read_bytes()).hexdigest() == info["sha256"]
    env = m["environment"]
    assert env["python"] and env["cmqual"] and "papermill" in env["packages"]
    assert env["kernel_env"]["PYTHONHASHSEED"] == "0"
    assert m["timing"]["seconds"] > 0 and m["timing"]["started"] < m["timing"]["finished"]
    assert m["injected"]["output_dir"].endswith(f"{with_data['run_id']}/results")
    executed = nbformat.read(run_dir / "trivial.ipynb", as_version=4)
    assert executed.metadata.papermill.input_path == "notebooks/trivial.ipynb"
    assert executed.metadata.papermill.output_path == f"outputs/t/{run_dir.name}/trivial.ipynb"


def test_resume_skips_completed_runs_with_same_inputs(ran):
    folder, path, _, _ = ran
    (folder / "data.txt").write_text("changed\n", encoding="utf-8")
    result = run_batch(path, workers=2, resume=True, progress=False)
    assert isinstance(result, BatchResult)
    status = {r.parameters.get("x"): r.status for r in result.runs}
    # x=1 is unchanged; x=2 reads data.txt, which changed; the failed run runs again
    assert status == {1: "skipped", 2: "completed", 7: "failed"}
    assert "1 skipped" in result.summary() and "boom 7" in result.summary()
    assert "<table>" in result._repr_html_()
    copy = next(r for r in result.runs if r.parameters.get("x") == 2).directory
    assert (copy / "results" / "data_copy.txt").read_text() == "changed\n"


def test_cli_dry_run_and_invalid_batch_exit_codes(tmp_path, capsys):
    path = make_project(tmp_path, {"runs": [{"notebook": "notebooks/trivial.ipynb",
                                             "grid": {"x": [1, 2]}}]})
    assert main(["batch", "run", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2 runs in batch t; parameters check out" in out and '{"x": 2}' in out
    bad = make_project(tmp_path, {"runs": [{"notebook": "notebooks/trivial.ipynb",
                                            "parameters": {"y": 1}}]}, name="bad")
    assert main(["batch", "run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: bad.yaml: 1 problem(s); nothing was run")
    assert "unknown parameter 'y'" in err and "Traceback" not in err
    assert not (tmp_path / "outputs" / "bad").exists()


def test_missing_dask_gives_a_clear_error(tmp_path, monkeypatch):
    path = make_project(tmp_path, {"runs": ["notebooks/trivial.ipynb"]})
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(BatchError, match=r"pip install 'dask\[distributed\]'"):
        run_batch(path, scheduler="tcp://127.0.0.1:1", progress=False)


# -- atomic moves --------------------------------------------------------------------------

def test_install_replaces_and_recover_restores(tmp_path):
    batch_dir = tmp_path / "b"
    (batch_dir / "run" / "results").mkdir(parents=True)
    (batch_dir / "run" / "results" / "a.txt").write_text("old")
    stage = batch_dir / INCOMPLETE / "run"
    (stage / "results").mkdir(parents=True)
    (stage / "results" / "a.txt").write_text("new")
    install(stage, batch_dir / "run", batch_dir)
    assert (batch_dir / "run" / "results" / "a.txt").read_text() == "new"
    assert not stage.exists() and not (batch_dir / REPLACED / "run").exists()
    # an interrupt between the two renames of install(): the old folder waits in .replaced
    (batch_dir / REPLACED).mkdir(exist_ok=True)
    (batch_dir / "run").rename(batch_dir / REPLACED / "run")
    (batch_dir / INCOMPLETE / "other").mkdir(parents=True)
    recover(batch_dir)
    assert (batch_dir / "run" / "results" / "a.txt").read_text() == "new"
    assert not (batch_dir / REPLACED).exists() and not (batch_dir / INCOMPLETE).exists()


def test_locked_batch_folder_is_refused(tmp_path):
    import os

    path = make_project(tmp_path, {"runs": ["notebooks/trivial.ipynb"]})
    lock = tmp_path / "outputs" / "t" / ".lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(f"{os.getppid()}\n")  # a live process
    with pytest.raises(BatchError, match="is in use by process"):
        run_batch(path, progress=False)


# -- comparing -----------------------------------------------------------------------------

def _executed(outputs: list, count: int, meta: dict) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell("output_dir = 'x'")
    injected.metadata["tags"] = ["injected-parameters"]
    cell = nbformat.v4.new_code_cell("print('a'); print('b')")
    cell.outputs, cell.execution_count, cell.metadata = outputs, count, meta
    nb.cells = [injected, cell]
    return nb


def test_notebook_differences_ignore_timing_counts_and_stream_splits(tmp_path):
    stream = nbformat.v4.new_output
    a = _executed([stream("stream", name="stdout", text="a\nb\n")], 1,
                  {"papermill": {"duration": 0.1}})
    b = _executed([stream("stream", name="stdout", text="a\n"),
                   stream("stream", name="stdout", text="b\n")], 7,
                  {"papermill": {"duration": 0.9}})
    b.cells[0].source = "output_dir = 'y'"
    c = _executed([stream("stream", name="stdout", text="a\nc\n")], 1, {})
    for name, nb in {"a": a, "b": b, "c": c}.items():
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    assert notebook_differences(tmp_path / "a.ipynb", tmp_path / "b.ipynb") == []
    assert notebook_differences(tmp_path / "a.ipynb", tmp_path / "c.ipynb") == [
        "cell 2: outputs differ"]


def test_compare_runs_lists_differing_files(tmp_path):
    for side, text in (("a", "1"), ("b", "2")):
        run = tmp_path / side / "r"
        (run / "results").mkdir(parents=True)
        (run / "results" / "same.txt").write_text("same")
        (run / "results" / "changed.txt").write_text(text)
        (run / "results" / f"only_{side}.txt").write_text("x")
        (run / "manifest.json").write_text(json.dumps(
            {"cmqual_manifest": 1, "status": "completed", "fingerprint": "f",
             "executed_notebook": None}))
    comparison = compare_runs(tmp_path / "a" / "r", tmp_path / "b" / "r")
    assert not comparison.identical
    assert comparison.differing == ("changed.txt",)
    assert comparison.only_in_reference == ("only_a.txt",)
    assert comparison.only_in_candidate == ("only_b.txt",)
    assert "differs: changed.txt" in comparison.describe()


@pytest.mark.slow
def test_verify_rerun_and_against(tmp_path, capsys):
    path = make_project(tmp_path, {"name": "v", "runs": [
        {"notebook": "notebooks/trivial.ipynb", "grid": {"x": [1, 2]}},
        {"notebook": "notebooks/noisy.ipynb", "grid": {"noisy": [False, True]}},
    ]})
    result = run_batch(path, workers=2, progress=False)
    assert result.ok
    batch_dir = tmp_path / "outputs" / "v"
    assert main(["batch", "verify", str(batch_dir), "--workers", "2"]) == 1
    out = capsys.readouterr().out
    noisy = next(r.run_id for r in result.runs if r.parameters.get("noisy"))
    assert f"{noisy}: DIFFERS" in out and "differs: stamp.txt" in out
    assert "fixed.txt" not in out and "notebook: cell 4: outputs differ" in out
    assert "3 of 4 runs identical to a rerun; 1 differ" in out
    copy = tmp_path / "copy"
    shutil.copytree(batch_dir, copy)
    same = verify_batch(batch_dir, against=copy)
    assert same.ok and "4 of 4 runs identical" in same.summary()
    changed = next(copy.glob("trivial-*/results/result.txt"))
    changed.write_text("tampered\n")
    report = verify_batch(batch_dir, against=copy)
    assert not report.ok and "differs: result.txt" in report.summary()
    assert "<table>" in report._repr_html_()


@pytest.mark.slow
def test_dask_scheduler_runs_each_notebook(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    path = make_project(tmp_path, {"name": "d", "runs": [
        {"notebook": "notebooks/trivial.ipynb", "grid": {"x": [1, 2]}},
        {"notebook": "notebooks/failing.ipynb"},
    ]})
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        result = run_batch(path, scheduler=cluster.scheduler_address, progress=False)
    assert result.scheduler == cluster.scheduler_address and result.workers == 0
    assert [r.status for r in result.runs] == ["completed", "completed", "failed"]
    assert (result.runs[0].directory / "results" / "result.txt").read_text() == "a 1 1.0\n"
    assert "ValueError: boom 0" in result.summary()


@pytest.mark.slow
def test_timeout_names_the_running_cell(tmp_path):
    path = make_project(tmp_path, {"timeout": 3, "runs": [
        {"notebook": "notebooks/trivial.ipynb", "parameters": {"sleep": 60}}]})
    result = run_batch(path, workers=1, progress=False)
    error = result.runs[0].error
    assert result.runs[0].status == "failed" and error is not None
    assert error.ename == "CellTimeoutError" and "timed out" in error.last_line
    assert error.where.startswith("cell 3") and error.cell == "import os"
    assert (result.runs[0].directory / "trivial.ipynb").is_file()  # what ran before


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_repository_notebook_runs_with_its_defaults(path, tmp_path):
    spec = load_batch({"name": "defaults", "runs": [path.relative_to(ROOT).as_posix()]},
                      root=ROOT)
    result = run_batch(spec, workers=1, out_root=tmp_path, progress=False)
    assert result.ok, result.summary()
    assert result.runs[0].results, "the notebook writes result files into output_dir"


@pytest.mark.slow
def test_demo_batch_runs_the_workflow_reproducibly(tmp_path):
    result = run_batch(ROOT / "batches" / "demo.yaml", workers=2, out_root=tmp_path,
                       progress=False)
    assert result.ok, result.summary()
    overview = [r for r in result.runs if "corpus_overview" in r.notebook]
    assert {r.parameters["level"] for r in overview} == {"turn", "sentence"}
    report_run = next(r for r in result.runs if "evidence_report" in r.notebook)
    assert {"report/report.html", "report/report.md", "report/report.docx"} <= set(
        report_run.results)
    run = next(r for r in overview if r.parameters["level"] == "sentence")
    assert set(run.results) == {"documents.csv", "speakers.csv", "segments.csv", "summary.md",
                                "sentence_lengths.csv", "words_per_document.png"}
    png = (run.directory / "results" / "words_per_document.png").read_bytes()
    assert png.startswith(b"\x89PNG") and b"Software" not in png and b"Matplotlib" not in png
    manifest = json.loads((run.directory / "manifest.json").read_text())
    assert manifest["inputs"][0]["path"] == "corpora/sample"
    assert "metadata.csv" in manifest["inputs"][0]["files"]
    report = verify_batch(result.directory, workers=2)
    assert report.ok, report.summary()
