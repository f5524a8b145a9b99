import subprocess
import sys

import pandas as pd
import pytest

from cmqual.cli import main

TRANSCRIPT = "Interviewer: Why?\nSam: Because. It helps.\nInterviewer: Thanks.\n"


def test_ingest_writes_segments_csv_and_parquet(make_corpus, tmp_path, capsys):
    root = make_corpus({"a.txt": TRANSCRIPT})
    for ext in ("csv", "parquet"):
        out = tmp_path / f"segments.{ext}"
        assert main(["ingest", str(root), "--out", str(out)]) == 0
        table = pd.read_csv(out) if ext == "csv" else pd.read_parquet(out)
        assert {"doc_id", "doc", "segment_id", "level", "start", "end", "speaker",
                "timestamp", "text", "n_words"} <= set(table.columns)
        assert len(table) == 10  # 3 turns, 3 paragraphs, 4 sentences
    printed = capsys.readouterr().out
    assert "1 documents" in printed and "sentences" in printed


def test_ingest_output_is_deterministic(make_corpus, tmp_path):
    root = make_corpus({"a.txt": TRANSCRIPT, "b.md": "One. Two.\n"})
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    main(["ingest", str(root), "--out", str(a)])
    main(["ingest", str(root), "--out", str(b)])
    assert a.read_bytes() == b.read_bytes()


def test_user_error_exit_code_2_one_line_no_traceback(tmp_path, capsys):
    out = tmp_path / "seg.csv"
    code = main(["ingest", str(tmp_path / "missing"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: corpus folder") and "Traceback" not in err
    assert not out.exists()


def test_failed_ingest_keeps_previous_output(make_corpus, tmp_path, capsys):
    root = make_corpus({"a.txt": TRANSCRIPT})
    out = tmp_path / "seg.csv"
    out.write_text("previous results")
    (root / "b.txt").write_bytes(b"")
    assert main(["ingest", str(root), "--out", str(out)]) == 2
    assert out.read_text() == "previous results"
    assert "b.txt: the file is empty" in capsys.readouterr().err


def test_output_folder_must_exist(make_corpus, tmp_path, capsys):
    root = make_corpus({"a.txt": TRANSCRIPT})
    assert main(["ingest", str(root), "--out", str(tmp_path / "no" / "seg.csv")]) == 2
    assert "does not exist; create it first" in capsys.readouterr().err


def test_debug_shows_traceback(tmp_path):
    with pytest.raises(Exception, match="does not exist"):
        main(["--debug", "ingest", str(tmp_path / "missing")])


def test_warnings_are_printed(make_corpus, capsys):
    root = make_corpus({"a.txt": "Caf\xe9 ok\n".encode("cp1252")})
    assert main(["ingest", str(root)]) == 0
    assert "warning: a.txt: not UTF-8" in capsys.readouterr().err


def test_attr_type_option(make_corpus, capsys):
    root = make_corpus({"a.txt": TRANSCRIPT, "metadata.csv": "file,cohort\na.txt,2023\n"})
    assert main(["ingest", str(root), "--attr-type", "cohort=category"]) == 0
    assert "cohort (category)" in capsys.readouterr().out
    assert main(["ingest", str(root), "--attr-type", "cohort"]) == 2


def test_python_dash_m_entry_point(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT})
    proc = subprocess.run([sys.executable, "-m", "cmqual", "ingest", str(root)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "3 turns" in proc.stdout


def test_output_into_a_closed_pipe_is_no_traceback(tmp_path):
    from conftest import SAMPLE

    out = tmp_path / "codings.csv"
    cmd = (f'"{sys.executable}" -m cmqual code "{SAMPLE}" --out "{out}" '
           f'--rollup "{tmp_path / "rollup.csv"}" | true')  # true reads nothing
    done = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, check=False)
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert out.exists() and (tmp_path / "rollup.csv").exists()
