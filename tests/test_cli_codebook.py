import pytest

from cmqual.cli import main
from cmqual.codebook import read_codebook, to_dict


def test_list_and_show(capsys):
    assert main(["codebook", "list"]) == 0
    out = capsys.readouterr().out
    for cid in ("scoping-study", "equity-lens", "national-framework"):
        assert cid in out
    assert main(["codebook", "show", "default"]) == 0
    out = capsys.readouterr().out
    assert "equity-lens/deficit_language" in out and "scoping-study/formalisation" in out


@pytest.mark.parametrize("fmt", ["qdc", "csv", "xlsx"])
def test_export_import_round_trip(tmp_path, capsys, fmt):
    exported = tmp_path / f"cb.{fmt}"
    assert main(["codebook", "export", "scoping-study", "--out", str(exported)]) == 0
    back = tmp_path / "back.yaml"
    assert main(["codebook", "import", str(exported), "--out", str(back)]) == 0
    assert main(["codebook", "validate", str(back)]) == 0
    original, again = read_codebook("scoping-study"), read_codebook(back)
    if fmt == "csv":  # a CSV keeps only the codes (title, version, sources are lost)
        assert to_dict(original)["codes"] == to_dict(again)["codes"]
    else:
        assert to_dict(original) == to_dict(again)


@pytest.mark.parametrize("ext", ["md", "html"])
def test_export_documents(tmp_path, ext):
    out = tmp_path / f"appendix.{ext}"
    assert main(["codebook", "export", "equity-lens", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Deficit" in text and "seed" in text.lower()


def test_validate_reports_all_problems(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: demo\ntitle: Demo\nversion: '1'\ncodes:\n"
        "  - id: a\n    label: A\n    patterns: ['re:(unclosed']\n    colour: red\n"
        "  - id: a\n    label: A again\n    definiton: typo\n",
        encoding="utf-8",
    )
    assert main(["codebook", "validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "definiton" in err and "definition" in err
    assert "colour" in err and "re:(unclosed" in err
    assert err.count("\n  - ") >= 3


def test_unknown_id_lists_builtins(capsys):
    assert main(["codebook", "show", "nope"]) == 2
    assert "scoping-study" in capsys.readouterr().err


def test_export_needs_known_format(tmp_path, capsys):
    assert main(["codebook", "export", "scoping-study", "--out", str(tmp_path / "x.pdf")]) == 2
    assert "--format" in capsys.readouterr().err
