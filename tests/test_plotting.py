"""Tests of cmqual.plotting: Axes returned, codebook colours, deterministic files."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from cmqual import analysis, plotting
from cmqual.codebook import Code, Codebook
from cmqual.errors import ConfigError
from test_analysis import load_corpus, make_codings


@pytest.fixture(scope="module")
def data():
    corpus = load_corpus()
    codings = make_codings(corpus)
    return {
        "freq": analysis.code_frequencies(codings, corpus, depth=2, unit="turn"),
        "by": analysis.code_frequencies(codings, corpus, depth=2, unit="turn", by="sector"),
        "matrix": analysis.matrix_coding(codings, corpus, "sector", depth=2, unit="turn"),
        "co": analysis.cooccurrence(codings, corpus, depth=2, unit="turn", min_count=0),
        "sat": analysis.saturation(codings, corpus, order="interview_date"),
    }


def book() -> Codebook:
    voice = Code("voice", "Voice", "power/voice", "bk/power/voice")
    power = Code("power", "Power", "power", "bk/power", colour="#d62728", codes=(voice,))
    return Codebook("bk", "Toy", "1", codes=(power,))


def test_code_colours_inherit_and_fill_from_the_palette():
    colours = plotting.code_colours(book(), ["bk/power/voice", "bk/workload", "bk/mentoring"])
    assert colours["bk/power"] == colours["bk/power/voice"] == "#d62728"
    # palette colours skip the codebook's own and follow the sorted codes
    assert colours["bk/mentoring"] == "#1f77b4" and colours["bk/workload"] == "#ff7f0e"
    assert "#d62728" not in {colours["bk/mentoring"], colours["bk/workload"]}


def test_plot_prevalence_draws_one_coloured_bar_per_code(data):
    fig = plotting.new_figure()
    ax = fig.subplots()
    assert plotting.plot_prevalence(data["freq"], colours=book(), ax=ax) is ax
    bars = ax.patches
    assert len(bars) == 4
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "workload"  # most prevalent first
    power = labels.index("power")
    assert to_hex(bars[power].get_facecolor()) == "#d62728"


def test_plots_without_ax_make_a_pyplot_figure_and_never_show(data, monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show was called"))
    before = set(plt.get_fignums())
    ax = plotting.plot_saturation(data["sat"])
    assert ax.figure.number not in before
    plt.close(ax.figure)


def test_plots_with_ax_leave_pyplot_alone(data):
    before = plt.get_fignums()
    fig = plotting.new_figure()
    plotting.plot_cooccurrence(data["co"], ax=fig.subplots())
    assert plt.get_fignums() == before


def test_attribute_heatmap_cells(data):
    fig = plotting.new_figure()
    ax = plotting.plot_attribute_heatmap(data["matrix"], measure="row_pct", ax=fig.subplots())
    image = ax.images[0].get_array()
    assert image.shape == (4, 2)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["FE", "HE"]
    ax2 = plotting.plot_attribute_heatmap(data["by"], "sector", ax=plotting.new_figure().subplots(),
                                          codes=["bk/workload", "bk/power"])
    assert [t.get_text() for t in ax2.get_yticklabels()] == ["workload", "power"]


def test_cooccurrence_heatmap_is_symmetric(data):
    ax = plotting.plot_cooccurrence(data["co"], ax=plotting.new_figure().subplots())
    values = ax.images[0].get_array()
    assert (values == values.T).all()


def test_group_prevalence_and_errors(data):
    ax = plotting.plot_group_prevalence(data["by"], "sector", code="bk/workload",
                                        ax=plotting.new_figure().subplots())
    assert [round(p.get_width()) for p in ax.patches] == [100, 50]
    with pytest.raises(ConfigError, match="code: name the code to plot"):
        plotting.plot_group_prevalence(data["by"], "sector")
    with pytest.raises(ConfigError, match=r"missing column.*pct_cases; columns present: code"):
        plotting.plot_prevalence(pd.DataFrame({"code": ["a"]}))


def test_saturation_marks_the_point(data):
    ax = plotting.plot_saturation(data["sat"], ax=plotting.new_figure().subplots())
    assert any("no new codes" in t.get_text() for t in ax.texts)


def draw(data) -> object:
    fig = plotting.new_figure(5, 3)
    plotting.plot_prevalence(data["freq"], colours=book(), ax=fig.subplots(), title="Themes")
    return fig


def test_save_figure_is_byte_identical(data, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = plotting.save_figure(draw(data), tmp_path / "a" / "prevalence.png")
    second = plotting.save_figure(draw(data).axes[0], tmp_path / "b" / "prevalence")
    assert [p.name for p in first] == ["prevalence.png", "prevalence.svg"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    svg = first[1].read_text()
    assert "<dc:date>" not in svg and "cmqual" in svg
    assert first[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_figure_bytes_rejects_unknown_formats(data):
    with pytest.raises(ConfigError, match="fmt: expected one of svg, png, pdf; got 'gif'"):
        plotting.figure_bytes(draw(data), "gif")
