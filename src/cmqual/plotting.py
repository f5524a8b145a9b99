"""Plots of analysis tables: ``plot_*`` functions that draw on a matplotlib Axes.

Each function takes a table from :mod:`cmqual.analysis`, draws on ``ax`` (a new figure
when ``ax`` is None) and returns the Axes; nothing is shown or saved (call
:func:`save_figure`). Codes are coloured with the codebook colours when ``colours`` is
given (a sub-code without a colour takes its nearest ancestor's), else with a fixed
palette, so the same code has the same colour in every plot of a report.

:func:`save_figure` writes PNG and SVG files that are byte-identical for the same figure:
no dates, fixed SVG ids (``svg.hashsalt``) and fixed metadata.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cmqual.errors import ConfigError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from cmqual.codebook import Codebook

__all__ = [
    "code_colours",
    "figure_bytes",
    "fit_layout",
    "new_figure",
    "plot_attribute_heatmap",
    "plot_cooccurrence",
    "plot_group_prevalence",
    "plot_prevalence",
    "plot_saturation",
    "save_figure",
]

#: Colours for codes without a codebook colour: matplotlib's tab10, then the light half
#: of tab20, so up to twenty codes get distinct colours.
PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
    "#c7c7c7", "#dbdb8d", "#9edae5",
)
_TEXT = "#222222"
_GRID = "#dddddd"
#: Metadata written into saved figures in place of matplotlib's (which includes a date).
_METADATA = {
    "svg": {"Date": None, "Creator": "cmqual", "Format": None, "Type": None},
    "png": {"Software": "cmqual"},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": "cmqual", "Producer": "cmqual"},
}
_RC = {"svg.hashsalt": "cmqual", "svg.fonttype": "path", "font.size": 9.0,
       "axes.titlesize": 10.0, "axes.labelsize": 9.0, "axes.edgecolor": "#888888",
       "axes.labelcolor": _TEXT, "xtick.color": _TEXT, "ytick.color": _TEXT,
       "font.family": ["DejaVu Sans"]}

Colours = Mapping[str, str] | Any


def code_colours(codebooks: Codebook | Iterable[Codebook] | Mapping[str, str] | None,
                 codes: Iterable[str] = ()) -> dict[str, str]:
    """A colour for every code: the codebook colour, inherited from ancestors, or a palette.

    Parameters
    ----------
    codebooks : Codebook, list of Codebook, dict or None
        Codebooks whose ``colour`` fields to use (or a ready ``{code: colour}`` dict).
    codes : iterable of str
        Codes that need a colour even if no codebook gives one (palette colours are given
        in sorted code order, so they do not depend on the order of the data).

    Returns
    -------
    dict
        ``{code ref: "#rrggbb"}``.

    Examples
    --------
    >>> code_colours({"a/x": "#ff0000"}, ["a/x/y", "a/z"])
    {'a/x': '#ff0000', 'a/x/y': '#ff0000', 'a/z': '#1f77b4'}
    """
    given: dict[str, str] = {}
    if isinstance(codebooks, Mapping):
        given = {str(k): str(v) for k, v in codebooks.items() if v}
    elif codebooks is not None:
        books = [codebooks] if hasattr(codebooks, "codes") else list(codebooks)
        for book in books:
            for code in _walk(book.codes):
                if code.colour:
                    given[code.ref] = code.colour
    out = dict(given)
    used = {c.lower() for c in given.values()}
    palette = [c for c in PALETTE if c.lower() not in used] or list(PALETTE)
    free = 0
    for code in sorted(set(codes) - set(given)):
        parts = code.split("/")
        inherited = next((given["/".join(parts[:k])] for k in range(len(parts) - 1, 0, -1)
                          if "/".join(parts[:k]) in given), None)
        if inherited:
            out[code] = inherited
        else:
            out[code] = palette[free % len(palette)]
            free += 1
    return dict(sorted(out.items()))


def _walk(codes) -> Iterable:
    for code in codes:
        yield code
        yield from _walk(code.codes)


def _colour_map(colours: Colours, codes: Sequence[str]) -> dict[str, str]:
    if colours is None or isinstance(colours, Mapping):
        return code_colours(colours or {}, codes)
    return code_colours(colours, codes)


def new_figure(width: float = 6.4, height: float = 4.0, *,
               layout: str | None = "constrained") -> Figure:
    """A matplotlib Figure with an Agg canvas, outside pyplot (nothing global is touched).

    ``layout=None`` skips matplotlib's layout engine (call :func:`fit_layout` after
    drawing): several times faster to save, for reports with many figures.

    Examples
    --------
    >>> fig = new_figure(5, 3, layout=None)
    >>> ax = plot_saturation(table, ax=fig.subplots())  # doctest: +SKIP
    >>> fit_layout(fig) is fig                           # doctest: +SKIP
    True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def fit_layout(fig: Figure, pad: float = 0.08) -> Figure:
    """Set the margins of a one-plot figure (plus colour bar) to fit its labels.

    A fast stand-in for a layout engine: only the tick labels, axis labels and title are
    measured, not every artist, so value labels inside the plot do not count (the plots
    here leave room for theirs). ``pad`` is in inches.

    Returns
    -------
    Figure
        ``fig``, for chaining.

    Examples
    --------
    >>> fig = new_figure(layout=None)
    >>> _ = fig.subplots().set_ylabel("codes")
    >>> bool(fit_layout(fig).subplotpars.left > 0.1)
    True
    """
    if not fig.axes:
        return fig
    with _style():
        renderer = fig.canvas.get_renderer()
        width, height = fig.get_size_inches()
        dpi = fig.dpi
        main = fig.axes[0]
        left = bottom = 0.0
        for ax in fig.axes[:1]:
            ticks_y = [t.get_window_extent(renderer).width for t in ax.get_yticklabels()
                       if t.get_text()]
            left = max(ticks_y, default=0.0) / dpi + 0.12
            if ax.get_ylabel():
                left += ax.yaxis.label.get_window_extent(renderer).height / dpi + 0.1
            ticks_x = [t.get_window_extent(renderer).height for t in ax.get_xticklabels()
                       if t.get_text()]
            bottom = max(ticks_x, default=0.0) / dpi + 0.12
            if ax.get_xlabel():
                bottom += ax.xaxis.label.get_window_extent(renderer).height / dpi + 0.1
        top = pad + (main.title.get_window_extent(renderer).height / dpi + 0.12
                     if main.get_title(loc="left") or main.get_title() else 0.0)
        right = pad + (0.9 if len(fig.axes) > 1 else 0.35)  # colour bar or value labels
        fig.subplots_adjust(left=min((left + pad) / width, 0.7),
                            right=max(1 - right / width, 0.75),
                            bottom=min((bottom + pad) / height, 0.6),
                            top=max(1 - top / height, 0.5))
    return fig


def _axes(ax: Axes | None, width: float, height: float) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # notebook use: a pyplot figure shows inline

    with _style():
        _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


def _style():
    import matplotlib as mpl

    return mpl.rc_context(_RC)


def _require(table: pd.DataFrame, columns: Sequence[str], argname: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(f"{argname}: expected a DataFrame; got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ConfigError(f"{argname}: missing column(s) {', '.join(missing)}; columns "
                          f"present: {', '.join(map(str, table.columns))}")


def _short(code: str, labels: Mapping[str, str] | None) -> str:
    if labels and code in labels:
        return labels[code]
    return code.split("/", 1)[1] if "/" in code else code


def plot_prevalence(
    frequencies: pd.DataFrame,
    *,
    measure: str = "pct_cases",
    colours: Colours = None,
    labels: Mapping[str, str] | None = None,
    top: int | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bar chart of how prevalent each code is.

    Parameters
    ----------
    frequencies : DataFrame
        From :func:`cmqual.analysis.code_frequencies` without ``by`` (one row per code).
    measure : str
        Column to plot: ``pct_cases`` (default), ``cases``, ``segments``, ``hits``,
        ``documents`` or ``per_1000_words``.
    colours : dict, Codebook or list of Codebook, optional
        Code colours (see :func:`code_colours`).
    labels : dict, optional
        Display names of codes (default: the code reference without the codebook id).
    top : int, optional
        Plot only the ``top`` most prevalent codes.
    title : str, optional
        Axes title.
    ax : Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = plot_prevalence(code_frequencies(codings, corpus, depth=2))  # doctest: +SKIP
    """
    _require(frequencies, ["code", measure], "frequencies")
    table = frequencies.sort_values([measure, "code"], ascending=[False, True], kind="stable")
    if top is not None:
        table = table.head(top)
    codes = table["code"].astype(str).tolist()
    values = table[measure].astype("float64").fillna(0).to_numpy()
    ax = _axes(ax, 7.0, max(2.0, 0.32 * len(codes) + 1.0))
    cmap = _colour_map(colours, codes)
    with _style():
        y = np.arange(len(codes))
        ax.barh(y, values, color=[cmap[c] for c in codes], height=0.7)
        ax.set_yticks(y, [_short(c, labels) for c in codes])
        ax.invert_yaxis()
        ax.set_xlabel(_MEASURE_LABELS.get(measure, measure))
        for yi, v in zip(y, values, strict=True):
            ax.text(v, yi, f" {_fmt(v, measure)}", va="center", fontsize=8, color=_TEXT)
        if measure == "pct_cases":
            ax.set_xlim(0, 110)
        elif len(values):
            ax.set_xlim(0, max(values.max(), 1e-9) * 1.15)
        _tidy(ax, title)
    return ax


def plot_group_prevalence(
    frequencies: pd.DataFrame,
    by: str,
    *,
    code: str | None = None,
    measure: str = "pct_cases",
    colour: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bar chart of one code's prevalence in each group of an attribute.

    Parameters
    ----------
    frequencies : DataFrame
        From :func:`cmqual.analysis.code_frequencies` with ``by=by``.
    by : str
        The attribute column.
    code : str, optional
        The code to plot (required when the table has several).
    measure : str
        Column to plot (default ``pct_cases``).
    colour : str, optional
        Bar colour (default: the first palette colour).
    title : str, optional
        Axes title.
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes

    Examples
    --------
    >>> f = code_frequencies(codings, corpus, by="sector", depth=2)     # doctest: +SKIP
    >>> plot_group_prevalence(f, "sector", code="scoping-study/power")  # doctest: +SKIP
    """
    _require(frequencies, ["code", by, measure], "frequencies")
    table = frequencies
    codes = sorted(set(table["code"].astype(str)))
    if code is None:
        if len(codes) != 1:
            raise ConfigError(f"code: name the code to plot (the table has {len(codes)})")
        code = codes[0]
    table = table[table["code"].astype(str) == code]
    if table.empty:
        raise ConfigError(f"code: {code!r} is not in the table")
    groups = table[by].astype(str).tolist()
    values = table[measure].astype("float64").fillna(0).to_numpy()
    ax = _axes(ax, 6.4, max(1.8, 0.32 * len(groups) + 1.0))
    with _style():
        y = np.arange(len(groups))
        ax.barh(y, values, color=colour or PALETTE[0], height=0.65)
        ax.set_yticks(y, groups)
        ax.invert_yaxis()
        ax.set_xlabel(_MEASURE_LABELS.get(measure, measure))
        ax.set_ylabel(by)
        if "cases" in table.columns and "cases_total" in table.columns and measure == "pct_cases":
            notes = [f" {_fmt(v, measure)} ({c}/{t})" for v, c, t in
                     zip(values, table["cases"], table["cases_total"], strict=True)]
        else:
            notes = [f" {_fmt(v, measure)}" for v in values]
        for yi, v, note in zip(y, values, notes, strict=True):
            ax.text(v, yi, note, va="center", fontsize=8, color=_TEXT)
        if measure == "pct_cases":
            ax.set_xlim(0, 125)
        elif len(values):
            ax.set_xlim(0, max(values.max(), 1e-9) * 1.25)
        _tidy(ax, title)
    return ax


_MEASURE_LABELS = {
    "pct_cases": "% of cases", "cases": "cases", "segments": "coded segments",
    "hits": "codings", "documents": "documents", "per_1000_words": "codings per 1,000 words",
    "count": "count", "row_pct": "row %", "col_pct": "column %", "jaccard": "Jaccard",
}


def _fmt(v: float, measure: str) -> str:
    if measure in ("pct_cases", "row_pct", "col_pct"):
        return f"{v:.0f}%"
    if measure in ("per_1000_words", "jaccard"):
        return f"{v:.2f}" if measure == "jaccard" else f"{v:.1f}"
    return f"{v:.0f}"


def _tidy(ax: Axes, title: str | None) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color=_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title, loc="left")


def plot_attribute_heatmap(
    matrix: pd.DataFrame,
    by: str | None = None,
    *,
    measure: str = "pct_cases",
    codes: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    cmap: str = "Blues",
    annotate: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of codes (rows) × attribute values (columns).

    Parameters
    ----------
    matrix : DataFrame
        From :func:`cmqual.analysis.matrix_coding` or
        :func:`cmqual.analysis.code_frequencies` with one ``by`` column.
    by : str, optional
        The attribute column (default: the one column that is not a measure).
    measure : str
        Cell values: ``pct_cases`` (default), ``count``, ``row_pct``, ``col_pct``,
        ``per_1000_words``, ``segments``, ``hits``...
    codes : list of str, optional
        Codes to show, top to bottom (default: every code in the table, sorted).
    labels : dict, optional
        Display names of codes.
    title : str, optional
        Axes title.
    cmap : str
        Matplotlib colour map (sequential; default ``Blues``).
    annotate : bool
        Write each value in its cell.
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes

    Examples
    --------
    >>> m = matrix_coding(codings, corpus, "sector", depth=2)  # doctest: +SKIP
    >>> plot_attribute_heatmap(m, measure="row_pct")             # doctest: +SKIP
    """
    known = {"code", "count", "row_pct", "col_pct", "cases", "cases_total", "pct_cases",
             "words", "per_1000_words", "hits", "segments", "documents"}
    if by is None:
        rest = [c for c in matrix.columns if c not in known]
        if len(rest) != 1:
            raise ConfigError(f"by: name the attribute column (candidates: {', '.join(rest)})")
        by = rest[0]
    _require(matrix, ["code", by, measure], "matrix")
    col_order = list(dict.fromkeys(matrix[by].astype(str)))
    wide = (matrix.assign(**{by: matrix[by].astype(str)})
            .pivot_table(index="code", columns=by, values=measure, aggfunc="first",
                         sort=True, dropna=False)
            .reindex(columns=col_order))
    if codes is not None:
        wide = wide.reindex(index=[c for c in codes if c in wide.index])
    values = wide.to_numpy(dtype="float64")
    ax = _axes(ax, max(4.0, 0.9 * len(col_order) + 3.0), max(2.0, 0.35 * len(wide) + 1.2))
    with _style():
        finite = values[np.isfinite(values)]
        vmax = float(finite.max()) if finite.size else 1.0
        image = ax.imshow(np.nan_to_num(values, nan=0.0), cmap=cmap, aspect="auto",
                          vmin=0, vmax=vmax if vmax > 0 else 1.0, interpolation="nearest")
        ax.set_xticks(np.arange(len(col_order)), col_order, rotation=30, ha="right")
        ax.set_yticks(np.arange(len(wide)), [_short(c, labels) for c in wide.index])
        ax.set_xlabel(by)
        if annotate:
            for (i, j), v in np.ndenumerate(values):
                if np.isfinite(v):
                    dark = vmax > 0 and v / vmax > 0.6
                    ax.text(j, i, _fmt(v, measure), ha="center", va="center", fontsize=7.5,
                            color="white" if dark else _TEXT)
        bar = ax.figure.colorbar(image, ax=ax, shrink=0.8)
        bar.set_label(_MEASURE_LABELS.get(measure, measure))
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        if title:
            ax.set_title(title, loc="left")
    return ax


def plot_cooccurrence(
    cooccurrence: pd.DataFrame,
    *,
    measure: str = "jaccard",
    codes: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    cmap: str = "Purples",
    annotate: bool | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Symmetric heatmap of code co-occurrence (``jaccard`` or ``count``).

    Parameters
    ----------
    cooccurrence : DataFrame
        From :func:`cmqual.analysis.cooccurrence`.
    measure : {"jaccard", "count"}
        Cell values. The diagonal is left blank.
    codes : list of str, optional
        Codes to show, in this order (default: every code in the table, sorted).
    labels, title, cmap, ax
        As for :func:`plot_attribute_heatmap`.
    annotate : bool, optional
        Write each value in its cell (default: when there are at most 12 codes).

    Returns
    -------
    Axes

    Examples
    --------
    >>> plot_cooccurrence(cooccurrence(codings, corpus, depth=2, min_count=0))  # doctest: +SKIP
    """
    _require(cooccurrence, ["code_a", "code_b", measure], "cooccurrence")
    names = list(codes) if codes is not None else sorted(
        set(cooccurrence["code_a"].astype(str)) | set(cooccurrence["code_b"].astype(str)))
    index = {c: i for i, c in enumerate(names)}
    values = np.full((len(names), len(names)), np.nan)
    for a, b, v in zip(cooccurrence["code_a"].astype(str), cooccurrence["code_b"].astype(str),
                       cooccurrence[measure].astype("float64"), strict=True):
        if a in index and b in index:
            values[index[a], index[b]] = values[index[b], index[a]] = v
    off_diag = ~np.eye(len(names), dtype=bool)
    values[off_diag & np.isnan(values)] = 0.0
    size = max(3.0, 0.45 * len(names) + 2.5)
    ax = _axes(ax, size + 1.0, size)
    with _style():
        finite = values[np.isfinite(values)]
        vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=vmax,
                          interpolation="nearest", aspect="auto")
        short = [_short(c, labels) for c in names]
        ax.set_xticks(np.arange(len(names)), short, rotation=45, ha="right")
        ax.set_yticks(np.arange(len(names)), short)
        if annotate or (annotate is None and len(names) <= 12):
            for (i, j), v in np.ndenumerate(values):
                if np.isfinite(v) and i != j:
                    ax.text(j, i, _fmt(v, measure), ha="center", va="center", fontsize=7,
                            color="white" if v / vmax > 0.6 else _TEXT)
        bar = ax.figure.colorbar(image, ax=ax, shrink=0.8)
        bar.set_label(_MEASURE_LABELS.get(measure, measure))
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        if title:
            ax.set_title(title, loc="left")
    return ax


def plot_saturation(
    saturation: pd.DataFrame,
    *,
    title: str | None = None,
    colour: str = "#1f77b4",
    ax: Axes | None = None,
) -> Axes:
    """Saturation curve: cumulative distinct codes as documents are added.

    The point after which no new code appeared is marked.

    Parameters
    ----------
    saturation : DataFrame
        From :func:`cmqual.analysis.saturation`.
    title : str, optional
        Axes title.
    colour : str
        Line colour.
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes

    Examples
    --------
    >>> plot_saturation(saturation(codings, corpus, order="interview_date"))  # doctest: +SKIP
    """
    _require(saturation, ["step", "cumulative_codes", "new_codes", "saturated"], "saturation")
    ax = _axes(ax, 6.4, 3.6)
    steps = saturation["step"].to_numpy()
    cum = saturation["cumulative_codes"].to_numpy()
    with _style():
        ax.step(steps, cum, where="post", color=colour, linewidth=1.8)
        ax.plot(steps, cum, "o", color=colour, markersize=4)
        ax.bar(steps, saturation["new_codes"].to_numpy(), color=colour, alpha=0.25, width=0.6,
               label="new codes")
        sat = saturation[saturation["saturated"]]
        if len(sat):
            first = int(sat["step"].min()) - 1
            ax.axvline(first, color="#d62728", linestyle="--", linewidth=1)
            late = first > (steps.min() + steps.max()) / 2  # label on the side with room
            ax.annotate("no new codes after this document", xy=(first, cum.max()),
                        xytext=(-4 if late else 4, -12), textcoords="offset points",
                        fontsize=8, color="#d62728", ha="right" if late else "left")
        ax.set_xlabel("documents added")
        ax.set_ylabel("distinct codes")
        ax.set_xticks(steps)
        ax.set_ylim(0, max(int(cum.max()) if len(cum) else 1, 1) * 1.12)
        _tidy(ax, title)
        ax.grid(axis="y", color=_GRID, linewidth=0.6)
    return ax


def _figure(fig_or_ax: Figure | Axes) -> Figure:
    fig = getattr(fig_or_ax, "figure", None) if not hasattr(fig_or_ax, "savefig") else fig_or_ax
    if fig is None or not hasattr(fig, "savefig"):
        raise ConfigError(f"fig_or_ax: expected a matplotlib Figure or Axes; got "
                          f"{type(fig_or_ax).__name__}")
    return fig.get_figure(root=True) if hasattr(fig, "get_figure") else fig


def figure_bytes(fig_or_ax: Figure | Axes, fmt: str = "png", *, dpi: int = 150) -> bytes:
    """Render a figure to PNG, SVG or PDF bytes, without volatile metadata.

    Examples
    --------
    >>> figure_bytes(plot_saturation(table), "svg")[:5]  # doctest: +SKIP
    b'<?xml'
    """
    if fmt not in _METADATA:
        raise ConfigError(f"fmt: expected one of {', '.join(_METADATA)}; got {fmt!r}")
    fig = _figure(fig_or_ax)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    with _style():
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=_METADATA[fmt], facecolor="white")
    return buf.getvalue()


def save_figure(fig_or_ax: Figure | Axes, path: str | Path, *,
                formats: Sequence[str] = ("png", "svg"), dpi: int = 150) -> list[Path]:
    """Save a figure as PNG and SVG (same stem), byte-identical for the same figure.

    Parameters
    ----------
    fig_or_ax : Figure or Axes
        What to save.
    path : str or Path
        Target; its suffix is replaced by each format's (``out/prevalence`` or
        ``out/prevalence.png`` both give ``prevalence.png`` and ``prevalence.svg``).
    formats : list of str
        Any of ``png``, ``svg``, ``pdf``.
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    list of Path
        The files written, in ``formats`` order.

    Examples
    --------
    >>> save_figure(plot_prevalence(freq), "outputs/prevalence")  # doctest: +SKIP
    [PosixPath('outputs/prevalence.png'), PosixPath('outputs/prevalence.svg')]
    """
    target = Path(path)
    stem = target.with_suffix("") if target.suffix.lower().lstrip(".") in _METADATA else target
    from cmqual.io.tables import atomic_path, check_output_path

    paths = []
    for fmt in formats:
        data = figure_bytes(fig_or_ax, fmt, dpi=dpi)
        out = check_output_path(stem.with_name(f"{stem.name}.{fmt}"))
        with atomic_path(out) as tmp:
            tmp.write_bytes(data)
        paths.append(out)
    return paths
