import pandas as pd

import cmqual
from cmqual.cli import main
from conftest import SAMPLE


def test_code_writes_exact_hits_and_rollup(tmp_path, capsys):
    out, roll = tmp_path / "codings.csv", tmp_path / "rollup.csv"
    assert main(["code", str(SAMPLE), "--out", str(out), "--rollup", str(roll)]) == 0
    codings = pd.read_csv(out, keep_default_na=False)
    corpus = cmqual.read_corpus(SAMPLE)
    assert len(codings) > 50
    for row in codings.itertuples():
        assert corpus.texts[row.doc_id][row.start:row.end] == row.text
    assert set(codings["coder"]) == {"cmqual-auto"}
    themes = {c.split("/")[0] + "/" + c.split("/")[1] for c in codings["code"]}
    assert themes == {"scoping-study/resourcing", "scoping-study/assessment",
                      "scoping-study/power", "scoping-study/formalisation",
                      "equity-lens/deficit_language"}
    interviewer = corpus.segments.set_index("segment_id")["speaker_role"]
    assert not (interviewer.loc[codings["segment_id"]] == "interviewer").any()
    assert roll.exists()
    assert "wrote" in capsys.readouterr().out


def test_code_is_deterministic(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (a, b):
        assert main(["code", str(SAMPLE), "--codebook", "scoping-study", "--codebook",
                     "equity-lens", "--level", "sentence", "--out", str(out)]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_explain_names_patterns(tmp_path, capsys):
    out = tmp_path / "c.csv"
    main(["code", str(SAMPLE), "--out", str(out)])
    row = pd.read_csv(out).iloc[0]
    capsys.readouterr()
    assert main(["explain", str(SAMPLE), "--doc", row.doc_id, "--segment", row.segment_id]) == 0
    printed = capsys.readouterr().out
    assert row.code in printed and "codes:" in printed


def test_code_errors(tmp_path, capsys):
    assert main(["code", str(SAMPLE), "--codebook", "nope", "--out",
                 str(tmp_path / "c.csv")]) == 2
    assert "scoping-study" in capsys.readouterr().err
    assert main(["code", str(tmp_path / "missing"), "--out", str(tmp_path / "c.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["code", str(SAMPLE), "--out", str(tmp_path / "no" / "c.csv")]) == 2
    assert "create it first" in capsys.readouterr().err


def test_code_takes_the_ingest_options(make_corpus, tmp_path):
    root = make_corpus({"a.txt": "Mentor: The workload is huge and there is no release time.\n"
                                 "Trainee: My mentor has no time, the funding went.\n"})
    plain, custom = tmp_path / "plain.csv", tmp_path / "custom.csv"
    assert main(["code", str(root), "--out", str(plain)]) == 0
    assert main(["code", str(root), "--out", str(custom), "--interviewers", "Mentor",
                 "--workers", "1"]) == 0
    speakers = lambda path: set(pd.read_csv(path)["speaker"])  # noqa: E731
    assert speakers(plain) == {"Mentor", "Trainee"}
    assert speakers(custom) == {"Trainee"}  # Mentor is now an interviewer: not coded
    assert main(["code", str(root), "--out", str(custom), "--workers", "0"]) == 2
