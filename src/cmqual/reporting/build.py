"""Build an evidence report from a corpus, codebooks and codings.

:func:`build_report` runs the analyses of :mod:`cmqual.analysis`, draws the figures of
:mod:`cmqual.plotting` and assembles a :class:`~cmqual.reporting.model.Report`. It reads
and writes no files; :meth:`Report.write` does that.

Themes are the top-level codes of the codebooks (``<codebook id>/<code>``); a coding of a
sub-code counts for its theme. With ``pseudonymise`` the report is built on a pseudonymised
copy of the corpus (see :mod:`cmqual.reporting.pseudonymised`). Everything in the report is
derived from the inputs and the parameters, never from the clock, so the same inputs give
byte-identical files.
"""

from __future__ import annotations

import hashlib
import platform
import warnings
from collections.abc import Mapping, Sequence
from importlib import metadata

import numpy as np
import pandas as pd

from cmqual._version import __version__
from cmqual.analysis import (
    CHALLENGE_MARKERS,
    DEFICIT_CODE,
    association_tests,
    code_frequencies,
    cooccurrence,
    deficit_challenges,
    deficit_profile,
    exemplar_quotes,
    saturation,
    unit_table,
)
from cmqual.analysis._scope import CorpusLike, infer_unit
from cmqual.codebook import Codebook, Selection, codebook_hash, iter_codes
from cmqual.errors import CmqualWarning, ConfigError
from cmqual.plotting import code_colours
from cmqual.reporting.model import Report
from cmqual.reporting.pseudonymised import PseudonymiseLike, names_option, pseudonymise_inputs
from cmqual.reporting.sections import (
    Context,
    deficit_section,
    limitations_section,
    methods_section,
    overview_sections,
    reliability_section,
    summary_section,
    theme_sections,
)
from cmqual.tables import require_columns

__all__ = ["build_report"]

#: Packages whose versions the methods section records.
KEY_PACKAGES: tuple[str, ...] = ("numpy", "pandas", "scipy", "scikit-learn", "nltk",
                                 "matplotlib", "python-docx")


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _codings_hash(codings: pd.DataFrame) -> str:
    cols = [c for c in ("doc_id", "start", "end", "code", "coder") if c in codings.columns]
    table = codings[cols].astype(str).sort_values(cols, kind="stable")
    text = table.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _resolve_attributes(units: pd.DataFrame, corpus: CorpusLike, attributes,
                        max_values: int) -> tuple[str, ...]:
    if attributes is not None:
        attrs = (attributes,) if isinstance(attributes, str) else tuple(attributes)
        missing = [a for a in attrs if a not in units.columns]
        if missing:
            raise ConfigError(f"attributes: no attribute {', '.join(map(repr, missing))}; "
                              "document attributes: "
                              f"{', '.join(getattr(corpus, 'attribute_types', {})) or '(none)'}"
                              "; speaker attributes include speaker_role")
        return attrs
    # default: categorical document attributes with a few values, then speaker role
    chosen = []
    for name, kind in getattr(corpus, "attribute_types", {}).items():
        if kind in ("category", "boolean") and name in units.columns:
            n = units[name].nunique(dropna=True)
            if 2 <= n <= max_values:
                chosen.append(name)
    roles = set(units["speaker_role"].astype(str)) - {""}
    if len(roles) >= 2:
        chosen.append("speaker_role")
    return tuple(chosen)


def build_report(
    corpus: CorpusLike,
    codebook: Codebook | Selection | Sequence[Codebook | Selection],
    codings: pd.DataFrame,
    *,
    attributes: str | Sequence[str] | None = None,
    case: str | None = None,
    unit: str | None = None,
    coders: Sequence[str] | None = None,
    n_quotes: int = 3,
    saturation_order: str | Sequence[str] | None = None,
    title: str | None = None,
    reliability: bool = True,
    deficit_code: str = DEFICIT_CODE,
    challenge_markers: Sequence[str] = CHALLENGE_MARKERS,
    max_attribute_values: int = 8,
    parameters: Mapping[str, object] | None = None,
    pseudonymise: PseudonymiseLike = False,
) -> Report:
    """Build the evidence report: prevalence, breakdowns, quotes, co-occurrence, provenance.

    Parameters
    ----------
    corpus : Corpus
        The corpus the codings point into.
    codebook : Codebook, Selection or a list of them
        Codebooks whose top-level codes (the selected codes of a
        :class:`~cmqual.codebook.Selection`) are the report's themes.
    codings : DataFrame
        Codings (:data:`cmqual.tables.CODING_COLUMNS`), automatic or human or both.
    attributes : str or list of str, optional
        Attributes to break prevalence down by. Default: every categorical document
        attribute with 2 to ``max_attribute_values`` values, and ``speaker_role`` when the
        transcripts have interviewers and participants. ``[]`` for none.
    case : str, optional
        Column that defines a case (default: each document is a case).
    unit : {"turn", "paragraph", "sentence"}, optional
        What a coded segment is (default: the codings' level, else turn).
    coders : list of str, optional
        Use only these coders' codings (default: all, pooled).
    n_quotes : int
        Exemplar quotes per theme.
    saturation_order : str or list of str, optional
        Order of documents for the saturation curve: an attribute (``"interview_date"``)
        or a list of doc ids (default: by doc id).
    title : str, optional
        Report title (default ``"Evidence report: <corpus name>"``).
    reliability : bool
        Add inter-coder agreement when the codings have several coders.
    deficit_code, challenge_markers
        Code and markers of the deficit-language profile (shown when the code is in a
        codebook or the codings); see :func:`cmqual.analysis.deficit_challenges`.
    max_attribute_values : int
        Most values an attribute may have to be chosen by default.
    parameters : dict, optional
        Extra facts to record in the provenance (e.g. the command line).
    pseudonymise : bool, path, DataFrame or list of names
        Quote only pseudonymised text. ``True`` replaces speakers, titled names, emails,
        phone numbers, URLs and postcodes; a ``names.csv`` path, a names table or a list
        of names (see :func:`cmqual.pseudonymise.read_names`) replaces those too. The
        report is then built on a pseudonymised copy of the corpus
        (:func:`cmqual.pseudonymise.pseudonymise_in_memory`) with the codings carried onto
        it: quotes, citations, speakers, document ids (``doc01`` ...) and attribute values
        all come from it, and the corpus name, title, coders and ``parameters`` are
        pseudonymised with the same names. The provenance says so and holds no key or
        real name. Counts of words are those of the pseudonymised texts.

    Returns
    -------
    Report

    Examples
    --------
    >>> report = build_report(corpus, [scoping, equity], codings,
    ...                       attributes=["sector"])  # doctest: +SKIP
    >>> report.write("outputs/report")                # doctest: +SKIP
    >>> shared = build_report(corpus, [scoping], codings,
    ...                       pseudonymise="names.csv")  # doctest: +SKIP
    """
    kinds = (Codebook, Selection)
    books = (codebook,) if isinstance(codebook, kinds) else tuple(codebook)
    if not books or not all(isinstance(b, kinds) for b in books):
        raise ConfigError("codebook: expected a Codebook or Selection (cmqual.read_codebook) "
                          "or a list of them")
    if isinstance(n_quotes, bool) or not isinstance(n_quotes, int) or n_quotes < 0:
        raise ConfigError(f"n_quotes: expected a whole number >= 0; got {n_quotes!r}")
    require_columns(codings, ("doc_id", "start", "end", "code"), "codings")
    pseudonymised, names = names_option(pseudonymise)
    codings = codings.copy()
    if "coder" not in codings.columns:
        codings["coder"] = ""
    unit = infer_unit(codings, unit)
    coders = tuple(coders) if coders is not None else None
    parameters = dict(parameters or {})
    pseudo: dict[str, object] | None = None
    source_hash = str(getattr(corpus, "hash", ""))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if pseudonymised:
            inputs = pseudonymise_inputs(corpus, codings, names,
                                         saturation_order=saturation_order, coders=coders,
                                         title=title, parameters=parameters)
            corpus, codings, saturation_order = (inputs.corpus, inputs.codings,
                                                 inputs.saturation_order)
            coders, title, parameters = inputs.coders, inputs.title, inputs.parameters
            pseudo = inputs.provenance
        report = _build(corpus, books, codings, attributes=attributes, case=case, unit=unit,
                        coders=coders, n_quotes=n_quotes, saturation_order=saturation_order,
                        title=title, reliability=reliability, deficit_code=deficit_code,
                        challenge_markers=tuple(challenge_markers),
                        max_attribute_values=max_attribute_values,
                        parameters=parameters, caught=caught, pseudonymisation=pseudo,
                        source_hash=source_hash)
    seen = set()
    for w in caught:
        msg = str(w.message)
        if msg not in seen and issubclass(w.category, CmqualWarning):
            seen.add(msg)
            warnings.warn(msg, CmqualWarning, stacklevel=2)
    return report


def _build(corpus, books, codings, *, attributes, case, unit, coders, n_quotes,
           saturation_order, title, reliability, deficit_code, challenge_markers,
           max_attribute_values, parameters, caught, pseudonymisation,
           source_hash) -> Report:
    all_codes = {c.ref: c for b in books for c in iter_codes(b)}
    themes = tuple(c.ref for b in books for c in b.codes)
    labels = {ref: c.label or c.id for ref, c in all_codes.items()}
    units = unit_table(corpus, unit)
    attrs = _resolve_attributes(units, corpus, attributes, max_attribute_values)
    if coders is not None:
        missing = sorted(set(coders) - set(codings["coder"].astype(str)))
        if missing:
            raise ConfigError(f"coders: no codings by {', '.join(missing)}; coders present: "
                              f"{', '.join(sorted(set(codings['coder'].astype(str))))}")
        used = codings[codings["coder"].astype(str).isin(coders)]
    else:
        used = codings
    # a coding belongs to the report when its code is a theme or lies below one
    code_col = used["code"].astype(str).str.strip("/")
    in_books = np.zeros(len(used), dtype=bool)
    for theme in themes:
        in_books |= ((code_col == theme) | code_col.str.startswith(theme + "/")).to_numpy()
    other = used[~in_books]
    used = used[in_books]
    ctx = Context(corpus, books, used, unit, case, coders, attrs, themes, labels, all_codes,
                   code_colours(books, [*themes, *all_codes]), pseudonymisation)
    common = dict(unit=unit, case=case)
    freq = code_frequencies(used, corpus, codes=themes, rollup=True, **common)
    freq_all = code_frequencies(used, corpus, codes=list(all_codes), rollup=True, **common)
    by_attr = {a: code_frequencies(used, corpus, by=a, codes=themes, rollup=True, **common)
               for a in attrs}
    tests = {a: association_tests(used, corpus, a, codes=themes, rollup=True, **common)
             for a in attrs}
    co = cooccurrence(used, corpus, codes=themes, rollup=True, unit=unit, min_count=0)
    quotes = (exemplar_quotes(used, corpus, codes=themes, rollup=True, n=n_quotes, case=case)
              if n_quotes else exemplar_quotes(used.iloc[0:0], corpus, codes=themes))
    sat = saturation(used, corpus, order=saturation_order, codes=list(all_codes))
    has_deficit = deficit_code in all_codes or bool(
        used["code"].astype(str).str.startswith(deficit_code).any())
    tables: dict[str, pd.DataFrame] = {
        "theme_frequencies": freq, "code_frequencies": freq_all, "cooccurrence": co,
        "quotes": quotes, "saturation": sat,
    }
    for a in attrs:
        tables[f"frequencies_by_{a}"] = by_attr[a]
        tables[f"tests_by_{a}"] = tests[a]
    deficit = challenges = None
    if has_deficit:
        deficit = deficit_profile(used, corpus, code=deficit_code, unit=unit, case=case)
        challenges = deficit_challenges(used, corpus, code=deficit_code,
                                        markers=challenge_markers)
        tables["deficit_profile"] = deficit
        tables["deficit_challenges"] = challenges
    agreement = None
    coder_names = sorted(set(used["coder"].astype(str)))
    if reliability and len(coder_names) >= 2:
        agreement = _agreement(used, corpus, unit, themes)
        if agreement is not None:
            tables["reliability"] = agreement
    provenance = _provenance(ctx, codings, used, other, parameters, n_quotes,
                             saturation_order, deficit_code if has_deficit else None,
                             challenge_markers if has_deficit else (), source_hash)
    sections = [
        summary_section(ctx, freq, co, sat, len(other)),
        methods_section(ctx, provenance, other, caught),
        *overview_sections(ctx, freq, by_attr, co, sat, saturation_order),
        *theme_sections(ctx, freq, freq_all, by_attr, tests, co, quotes),
    ]
    if has_deficit:
        sections.append(deficit_section(ctx, deficit_code, deficit, challenges,
                                         challenge_markers))
    if agreement is not None:
        sections.append(reliability_section(agreement, coder_names, ctx))
    sections.append(limitations_section(ctx, coder_names))
    book_names = ", ".join(b.version if isinstance(b, Selection) else f"{b.id} {b.version}"
                           for b in books)
    name = str(getattr(corpus, "name", "corpus"))
    subtitle = f"Corpus {name} · {len(corpus.documents)} documents · codebooks: {book_names}"
    return Report(title=title or f"Evidence report: {name}", subtitle=subtitle,
                  sections=tuple(sections), tables=tables, provenance=provenance)


def _agreement(codings, corpus, unit, themes) -> pd.DataFrame | None:
    try:
        from cmqual.reliability import agreement_table
    except ImportError:  # pragma: no cover - reliability ships with cmqual
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined coefficients are shown as "–"
        return agreement_table(codings, corpus.segments, unit=unit, codes=list(themes))


def _provenance(ctx: Context, codings, used, other, parameters, n_quotes, order,
                deficit_code, markers, source_hash: str) -> dict:
    docs = ctx.corpus.documents
    coders = used["coder"].astype(str).value_counts().sort_index()
    hashes = sorted({str(h) for h in codings.get("codebook_hash", pd.Series([], dtype=str))
                     .dropna().astype(str) if str(h)})
    software = {"cmqual": __version__, "python": platform.python_version()}
    software |= {name: _package_version(name) for name in KEY_PACKAGES}
    params = {
        "unit": ctx.unit,
        "case": ctx.case or "doc_id (each document is a case)",
        "attributes": list(ctx.attributes),
        "coders": list(ctx.coders) if ctx.coders is not None else "all",
        "n_quotes": n_quotes,
        "saturation_order": order if isinstance(order, str) or order is None else list(order),
    }
    if deficit_code:
        params["deficit_code"] = deficit_code
        params["challenge_markers"] = list(markers)
    params |= {str(k): v for k, v in parameters.items()}
    if params["saturation_order"] is None:
        params["saturation_order"] = "doc_id"
    out = {
        "corpus": {"name": str(getattr(ctx.corpus, "name", "")),
                   # a pseudonymised report names the corpus it was made from by its hash
                   "hash": source_hash or str(getattr(ctx.corpus, "hash", "")),
                   "documents": len(docs), "words": int(docs["n_words"].sum()),
                   "turns": int(docs["n_turns"].sum())},
        "codebooks": [{"id": b.id, "title": b.title, "version": b.version,
                       "hash": codebook_hash(b), "codes": sum(1 for _ in iter_codes(b)),
                       "kind": "selection" if isinstance(b, Selection) else "codebook"}
                      for b in ctx.books],
        "known_codebook_hashes": sorted(
            {codebook_hash(b) for b in ctx.books}
            | {codebook_hash(c) for b in ctx.books if isinstance(b, Selection)
               for c in b.codebooks}),
        "codings": {"rows": len(codings), "used": len(used),
                    "outside_codebooks": len(other), "hash": _codings_hash(codings),
                    "coders": {str(k): int(v) for k, v in coders.items()},
                    "codebook_hashes": hashes},
        "parameters": params,
        "software": software,
    }
    if ctx.pseudonymisation is not None:
        out["pseudonymisation"] = dict(ctx.pseudonymisation)
    return out
