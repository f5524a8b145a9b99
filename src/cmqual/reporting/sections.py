"""The sections of an evidence report, each built from analysis tables (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cmqual.analysis._scope import BLANK, CorpusLike
from cmqual.codebook import Code, Codebook, Selection
from cmqual.errors import CmqualWarning
from cmqual.plotting import (
    figure_bytes,
    fit_layout,
    new_figure,
    plot_attribute_heatmap,
    plot_cooccurrence,
    plot_group_prevalence,
    plot_prevalence,
    plot_saturation,
)
from cmqual.reporting.model import (
    Block,
    Bullets,
    Figure,
    KeyValues,
    Quote,
    Section,
    Table,
    Text,
)

__all__ = [
    "Context",
    "deficit_section",
    "limitations_section",
    "methods_section",
    "overview_sections",
    "reliability_section",
    "summary_section",
    "theme_sections",
]

AUTO_CODER = "cmqual-auto"


def _int(n: float) -> str:
    return f"{int(n):,}"


def _pct(x: float) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.0f}%"


def _rate(x: float) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.1f}"


def _p(p: float) -> str:
    if not np.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _stat(x: float) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.2f}"


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


@dataclass(frozen=True)
class Context:
    """What every section builder needs to know about the inputs."""

    corpus: CorpusLike
    books: tuple[Codebook | Selection, ...]
    codings: pd.DataFrame
    unit: str
    case: str | None
    coders: tuple[str, ...] | None
    attributes: tuple[str, ...]
    themes: tuple[str, ...]
    labels: Mapping[str, str]
    codes: Mapping[str, Code]
    colours: Mapping[str, str]
    #: What the provenance records about the pseudonymisation; None: not pseudonymised.
    pseudonymisation: Mapping[str, object] | None = None


def _figure(name: str, caption: str, alt: str, draw, width: float, height: float) -> Figure:
    # no layout engine: fit_layout measures only the labels, several times faster to save
    fig = new_figure(width, height, layout=None)
    ax = fig.subplots()
    draw(ax)
    fit_layout(fig)
    return Figure(name=name, caption=caption, alt=alt, png=figure_bytes(fig, "png", dpi=150),
                  svg=figure_bytes(fig, "svg"))


def _theme_row(freq: pd.DataFrame, theme: str) -> pd.Series:
    return freq[freq["code"] == theme].iloc[0]


def summary_section(ctx: Context, freq, co, sat, n_other: int) -> Section:
    corpus = ctx.corpus
    docs = corpus.documents
    words = int(docs["n_words"].sum())
    coded = freq[freq["hits"] > 0].sort_values(["pct_cases", "segments", "code"],
                                               ascending=[False, False, True], kind="stable")
    n_cases = int(freq["cases_total"].max()) if len(freq) else 0
    coders = ctx.codings["coder"].astype(str).value_counts().sort_index()
    blocks: list[Block] = []
    lead = (f"This report summarises **{_int(len(ctx.codings))} codings** of "
            f"**{len(docs)} documents** ({_int(words)} words) from the corpus "
            f"`{getattr(corpus, 'name', 'corpus')}`, against {len(ctx.themes)} themes from "
            f"{len(ctx.books)} codebook{'s' if len(ctx.books) > 1 else ''}. "
            f"{len(coded)} of the {len(ctx.themes)} themes were coded at least once.")
    blocks.append(Text(lead, "lead"))
    items = []
    if len(coded):
        top = coded.head(3)
        items.append("Most widespread themes: " + "; ".join(
            f"**{ctx.labels[r.code]}** ({r.cases} of {r.cases_total} cases, "
            f"{_pct(r.pct_cases)})" for r in top.itertuples()) + ".")
        dense = coded.sort_values(["per_1000_words", "code"], ascending=[False, True],
                                  kind="stable").iloc[0]
        items.append(f"Most frequent per word: **{ctx.labels[dense.code]}** "
                     f"({_rate(dense.per_1000_words)} codings per 1,000 words).")
    uncoded = [ctx.labels[t] for t in ctx.themes if t not in set(coded["code"])]
    if uncoded:
        items.append(f"Not coded in any document: {', '.join(uncoded)}.")
    pairs = co[co["count"] > 0].sort_values(["jaccard", "code_a", "code_b"],
                                            ascending=[False, True, True], kind="stable")
    if len(pairs):
        p = pairs.iloc[0]
        items.append(f"Strongest co-occurrence: **{ctx.labels[p.code_a]}** with "
                     f"**{ctx.labels[p.code_b]}** ({p['count']} shared segments, Jaccard "
                     f"{p.jaccard:.2f}).")
    items.append(_saturation_sentence(sat))
    if set(coders.index) == {AUTO_CODER}:
        items.append("All codings were made by cmqual's automatic coder: they are "
                     "**suggestions to review, not findings**.")
    elif len(coders):
        items.append("Coders: " + ", ".join(f"{c or '(unnamed)'} ({_int(n)} codings)"
                                            for c, n in coders.items()) + ".")
    if n_other:
        items.append(f"{_int(n_other)} codings use codes from no codebook in this report and "
                     "are left out.")
    if n_cases:
        items.append(f"Cases: {n_cases} ({'documents' if ctx.case is None else ctx.case}).")
    if ctx.pseudonymisation is not None:
        items.append("**Pseudonymised:** quotes, speakers, document ids and attributes come "
                     "from a pseudonymised copy of the transcripts (see Methods and "
                     "provenance).")
    blocks.append(Bullets(tuple(items)))
    return Section("summary", "Summary", tuple(blocks))


def _saturation_sentence(sat: pd.DataFrame) -> str:
    if sat.empty or int(sat["cumulative_codes"].max()) == 0:
        return "Saturation: no codes were applied."
    total = int(sat["cumulative_codes"].max())
    sat_rows = sat[sat["saturated"]]
    if len(sat_rows):
        last = int(sat_rows["step"].min()) - 1
        rest = len(sat) - last
        tail = "the last document" if rest == 1 else f"the remaining {rest} documents"
        return (f"Saturation: all {total} distinct codes had appeared after document {last} "
                f"of {len(sat)}; {tail} added none.")
    return (f"Saturation: the last document still added new codes ({total} distinct codes "
            "in all); more data may bring more.")


def methods_section(ctx: Context, prov: Mapping, other: pd.DataFrame, caught) -> Section:
    corpus_p = prov["corpus"]
    codings_p = prov["codings"]
    params = prov["parameters"]
    blocks: list[Block] = [
        Text(f"Codings were counted on **{ctx.unit}s** (the segments cmqual finds in each "
             "transcript). Each coding counts once (“codings”); a “coded segment” is a "
             f"{ctx.unit} with at least one coding of the theme or one of its sub-codes; a "
             "theme is present in a case when any of the case's segments is coded. "
             f"Cases are {'documents' if ctx.case is None else f'values of `{ctx.case}`'}. "
             "Rates per 1,000 words divide codings by the words of the segments in the group."),
        Text("Exemplar quotes are ranked by how typical they are of the theme (TF-IDF "
             "cosine similarity to the centroid of the theme's coded passages) with a "
             "preference for quotes of 12–60 words and for participants' words; "
             "near-duplicates are dropped and quotes are spread across documents and cases. "
             "Each quote is the exact coded text (for a coding of only a few words, such as "
             "an automatic match, the sentence around it), cited by document, speaker and "
             "time or paragraph, with its character offsets into the transcript."),
        Text("Associations between a theme and an attribute are tested on cases with and "
             "without the theme: chi-square when every expected count is at least 5, "
             "Fisher's exact test for 2 × 2 tables with smaller counts, otherwise no test. "
             "No correction is made for multiple tests."),
        KeyValues((
            ("Corpus", f"{corpus_p['name']} ({corpus_p['documents']} documents, "
                       f"{_int(corpus_p['words'])} words, {_int(corpus_p['turns'])} turns)"),
            ("Corpus hash (SHA-256)", f"`{corpus_p['hash']}`"),
            ("Codings", f"{_int(codings_p['rows'])} rows in the input, "
                        f"{_int(codings_p['used'])} used"),
            ("Codings hash (SHA-256)", f"`{codings_p['hash']}`"),
            ("Coders", ", ".join(f"{k or '(unnamed)'}: {_int(v)}"
                                 for k, v in codings_p["coders"].items()) or "(none)"),
            ("Unit of analysis", params["unit"]),
            ("Case", params["case"]),
            ("Attributes", ", ".join(params["attributes"]) or "(none)"),
            ("Quotes per theme", str(params["n_quotes"])),
            ("Saturation order", str(params["saturation_order"])),
            ("cmqual", prov["software"]["cmqual"]),
            ("Python", prov["software"]["python"]),
            ("Packages", ", ".join(f"{k} {v}" for k, v in prov["software"].items()
                                   if k not in ("cmqual", "python"))),
            *_pseudonymisation_facts(prov.get("pseudonymisation")),
        ), caption="Inputs and parameters"),
        Table(("Codebook", "Title", "Version", "Codes", "Hash (SHA-256)"),
              tuple((b["id"], b["title"], b["version"], str(b["codes"]), f"`{b['hash']}`")
                    for b in prov["codebooks"]),
              caption="Codebooks", align=("l", "l", "l", "r", "l")),
    ]
    if prov.get("pseudonymisation") is not None:
        blocks.insert(3, Text(_pseudonymisation_note(prov["pseudonymisation"]), "note"))
    stale = sorted(set(codings_p["codebook_hashes"]) - set(prov["known_codebook_hashes"]))
    if stale:
        blocks.append(Text(f"Note: codings carry {len(stale)} codebook hash(es) that differ "
                           "from the codebooks given here (the codebook changed since coding, "
                           "or the hash is computed differently): "
                           + ", ".join(f"`{h[:12]}`" for h in stale), "note"))
    extra = {k: v for k, v in params.items() if k not in
             ("unit", "case", "attributes", "n_quotes", "saturation_order")}
    if extra:
        blocks.append(KeyValues(tuple((str(k), _value(v)) for k, v in sorted(extra.items())),
                                caption="Other parameters"))
    messages = sorted({str(w.message) for w in caught if issubclass(w.category, CmqualWarning)})
    if messages:
        blocks.append(Text("Data checks raised these warnings:", "note"))
        blocks.append(Bullets(tuple(messages)))
    return Section("methods", "Methods and provenance", tuple(blocks))


def _pseudonymisation_facts(pseudo: Mapping | None) -> tuple[tuple[str, str], ...]:
    if pseudo is None:
        return ()
    counts = ", ".join(f"{k} {_int(v)}" for k, v in sorted(pseudo["replacements"].items()))
    return (
        ("Pseudonymised", f"yes ({pseudo['mode']}): {_int(pseudo['replacements_total'])} "
                          f"replacements ({counts or 'none'}); "
                          f"{_int(pseudo['names_listed'])} listed names; key not included"),
        ("Pseudonymised corpus hash (SHA-256)", f"`{pseudo['pseudonymised_corpus_hash']}`"),
    )


def _pseudonymisation_note(pseudo: Mapping) -> str:
    problems = int(pseudo.get("problems", 0))
    tail = (f" {problems} document(s) did not re-read with the same turns; see the warnings "
            "below." if problems else "")
    return ("**This report is pseudonymised.** It was built on a copy of the corpus "
            "pseudonymised by cmqual (`cmqual.pseudonymise`): speaker labels, listed names, "
            "titled names, email addresses, phone numbers, URLs and postcodes are replaced "
            "by pseudonyms such as [P01] or [Person 1], documents are numbered (doc01, "
            "doc02 …) and identifying attributes carry the same pseudonyms. Quotes, "
            "citations, offsets and word counts refer to the pseudonymised texts. The key "
            "linking pseudonyms to real names is not part of this report. The corpus hash "
            "below identifies the original corpus." + tail)


def _value(v: object) -> str:
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v)) or "(none)"
    return str(v)


def _test_note(attr: str, row) -> str:
    if row.test == "chi-square":
        return (f"{attr}: chi-square = {_stat(row.statistic)}, df = {int(row.dof)}, "
                f"p = {_p(row.p_value)}, Cramér's V = {_stat(row.cramers_v)}")
    if row.test == "fisher":
        return (f"{attr}: Fisher's exact test, odds ratio = {_stat(row.statistic)}, "
                f"p = {_p(row.p_value)}")
    note = str(row.note)
    if "expected counts" in note:
        note = "too few cases for a test"
    elif "more than one" in note:
        note = "cases span several groups, no test"
    return f"{attr}: {note}"


def _theme_table(ctx: Context, freq: pd.DataFrame) -> Table:
    rows = []
    for t in ctx.themes:
        r = _theme_row(freq, t)
        rows.append((ctx.labels[t], f"`{t}`", f"{r.cases} / {r.cases_total}", _pct(r.pct_cases),
                     _int(r.segments), _int(r.hits), _rate(r.per_1000_words)))
    return Table(("Theme", "Code", "Cases", "% cases", "Segments", "Codings", "Per 1,000 words"),
                 tuple(rows), caption="Prevalence of each theme",
                 align=("l", "l", "r", "r", "r", "r", "r"))


def overview_sections(ctx: Context, freq, by_attr, co, sat, order) -> list[Section]:
    out = []
    labels = dict(ctx.labels)
    blocks: list[Block] = [_theme_table(ctx, freq)]
    if len(freq) and freq["hits"].sum() > 0:
        shown = freq[freq["hits"] > 0]
        blocks.append(_figure(
            "prevalence", "Share of cases in which each theme was coded (colours from the "
            "codebooks).", "Bar chart of the percentage of cases coded with each theme",
            lambda ax: plot_prevalence(shown, colours=ctx.colours, labels=labels, ax=ax),
            7.0, max(2.0, 0.3 * len(shown) + 1.0)))
    out.append(Section("prevalence", "Prevalence of themes", tuple(blocks)))
    for attr, table in by_attr.items():
        shown = table[table["code"].isin(freq.loc[freq["hits"] > 0, "code"])]
        blocks = []
        groups = table.drop_duplicates(attr)[[attr, "cases_total", "words"]]
        blocks.append(Text(f"Groups of `{attr}`: " + "; ".join(
            f"{_group(g)} ({n} cases, {_int(w)} words)"
            for g, n, w in zip(groups[attr], groups["cases_total"], groups["words"],
                               strict=True)) + "."))
        if len(shown):
            n_groups = len(groups)
            blocks.append(_figure(
                f"heatmap-{_slug(attr)}", f"Percentage of cases in each `{attr}` group "
                "coded with each theme.", f"Heatmap of themes by {attr}",
                lambda ax, s=shown, a=attr: plot_attribute_heatmap(
                    s, a, measure="pct_cases", codes=ctx.themes, labels=labels, ax=ax),
                max(5.0, 0.9 * n_groups + 4.0), max(2.0, 0.35 * shown["code"].nunique() + 1.4)))
        out.append(Section(f"by-{_slug(attr)}", f"Themes by {attr}", tuple(blocks), level=2))
    blocks = []
    coded = [t for t in ctx.themes if t in set(freq.loc[freq["hits"] > 0, "code"])]
    if len(coded) >= 2:
        blocks.append(Text(f"Two themes co-occur when both are coded in the same {ctx.unit}. "
                           "Jaccard = shared segments / segments with either theme (0 = never "
                           "together, 1 = always together)."))
        blocks.append(_figure(
            "cooccurrence", "Co-occurrence of themes (Jaccard index).",
            "Heatmap of the Jaccard index of co-occurrence between pairs of themes",
            lambda ax: plot_cooccurrence(co, codes=coded, labels=labels, ax=ax),
            max(4.5, 0.45 * len(coded) + 3.5), max(3.5, 0.45 * len(coded) + 2.5)))
        top = co[co["count"] > 0].head(10)
        if len(top):
            blocks.append(Table(
                ("Theme", "Theme", "Shared segments", "Jaccard"),
                tuple((labels[r.code_a], labels[r.code_b], _int(r.count), f"{r.jaccard:.2f}")
                      for r in top.itertuples()),
                caption="Most frequent pairs", align=("l", "l", "r", "r")))
    else:
        blocks.append(Text("Fewer than two themes were coded, so there is no co-occurrence."))
    out.append(Section("cooccurrence", "Co-occurrence of themes", tuple(blocks), level=2))
    blocks = [Text(_saturation_sentence(sat) + " Documents were added "
                   + (f"in order of `{order}`." if isinstance(order, str) else
                      "in the order given." if order is not None else "in order of doc id.")
                   + " Distinct codes include sub-codes.")]
    if len(sat):
        blocks.append(_figure("saturation", "Cumulative number of distinct codes as documents "
                              "are added (bars: new codes in each document).",
                              "Line chart of cumulative distinct codes by documents added",
                              lambda ax: plot_saturation(sat, ax=ax), 6.4, 3.4))
        blocks.append(Table(("Step", "Document", "Order value", "New codes", "Cumulative"),
                            tuple((str(r.step), r.doc_id, r.order_value, str(r.new_codes),
                                   str(r.cumulative_codes)) for r in sat.itertuples()),
                            align=("r", "l", "l", "r", "r")))
    out.append(Section("saturation", "Saturation", tuple(blocks), level=2))
    return out


def _group(value: str) -> str:
    return "no speaker label" if value == BLANK else value


def theme_sections(ctx: Context, freq, freq_all, by_attr, tests, co, quotes) -> list[Section]:
    out = [Section("themes", "Themes", (Text(
        "One section per theme: its definition from the codebook, how prevalent it is overall "
        "and in each group, the sub-codes, the themes it occurs with and the most "
        "representative quotes."),))]
    for theme in ctx.themes:
        code = ctx.codes[theme]
        r = _theme_row(freq, theme)
        blocks: list[Block] = []
        if code.definition:
            blocks.append(Text(f"**Definition.** {code.definition.strip()}"))
        if r.hits == 0:
            blocks.append(Text("Not coded in this corpus.", "note"))
            out.append(Section(f"theme-{_slug(theme)}", f"{ctx.labels[theme]} (`{theme}`)",
                               tuple(blocks), level=2))
            continue
        docs = "" if ctx.case is None else f" in {r.documents} documents"
        blocks.append(Text(
            f"Coded in **{r.cases} of {r.cases_total} cases ({_pct(r.pct_cases)})**{docs}: "
            f"{_int(r.segments)} coded segments, {_int(r.hits)} codings, "
            f"{_rate(r.per_1000_words)} per 1,000 words."))
        subs = [ref for ref in ctx.codes if ref.startswith(theme + "/")]
        sub_rows = []
        for ref in subs:
            s = freq_all[freq_all["code"] == ref]
            if s.empty:
                continue
            s = s.iloc[0]
            depth = ref.count("/") - theme.count("/")
            sub_rows.append(("  " * (depth - 1) + ctx.labels[ref], f"{s.cases} / {s.cases_total}",
                             _pct(s.pct_cases), _int(s.segments), _int(s.hits)))
        if sub_rows:
            blocks.append(Table(("Sub-code", "Cases", "% cases", "Segments", "Codings"),
                                tuple(sub_rows), caption="Sub-codes",
                                align=("l", "r", "r", "r", "r")))
        rows = []
        for attr, table in by_attr.items():
            t = table[table["code"] == theme]
            for value, cases, total, pct, segs, rate in zip(
                    t[attr], t["cases"], t["cases_total"], t["pct_cases"], t["segments"],
                    t["per_1000_words"], strict=True):
                rows.append((attr, _group(value), f"{cases} / {total}", _pct(pct), _int(segs),
                             _rate(rate)))
        if rows:
            blocks.append(Table(("Attribute", "Group", "Cases", "% cases", "Segments",
                                 "Per 1,000 words"), tuple(rows), caption="By group",
                                align=("l", "l", "r", "r", "r", "r")))
            notes = []
            for attr, t in tests.items():
                row = t[t["code"] == theme]
                if not row.empty:
                    notes.append(_test_note(attr, row.iloc[0]))
            if notes:
                blocks.append(Text("Association with attributes (cases with and without the "
                                   "theme; exploratory, uncorrected): " + "; ".join(notes) + ".",
                                   "note"))
            first = next(iter(by_attr))
            table = by_attr[first]
            n_groups = table[first].nunique()
            blocks.append(_figure(
                f"theme-{_slug(theme)}", f"{ctx.labels[theme]}: percentage of cases coded, by "
                f"`{first}`.", f"Bar chart of {ctx.labels[theme]} by {first}",
                lambda ax, t=table, a=first, c=theme: plot_group_prevalence(
                    t, a, code=c, colour=ctx.colours.get(c), ax=ax),
                6.4, max(1.8, 0.32 * n_groups + 1.1)))
        elif sub_rows:  # no attributes: show the theme beside its sub-codes instead
            shown = freq_all[freq_all["code"].isin([theme, *subs])]
            shown = shown[shown["hits"] > 0]
            blocks.append(_figure(
                f"theme-{_slug(theme)}", f"{ctx.labels[theme]} and its sub-codes: percentage "
                "of cases coded.", f"Bar chart of {ctx.labels[theme]} and its sub-codes",
                lambda ax, t=shown: plot_prevalence(t, colours=ctx.colours,
                                                    labels=ctx.labels, ax=ax),
                6.4, max(1.8, 0.32 * len(shown) + 1.1)))
        pairs = co[((co["code_a"] == theme) | (co["code_b"] == theme)) & (co["count"] > 0)]
        pairs = pairs.sort_values(["jaccard", "count", "code_a", "code_b"],
                                  ascending=[False, False, True, True], kind="stable").head(5)
        if len(pairs):
            blocks.append(Text("**Co-occurring themes:** " + "; ".join(
                f"{ctx.labels[p.code_b if p.code_a == theme else p.code_a]} "
                f"({p.count} segments, Jaccard {p.jaccard:.2f})" for p in pairs.itertuples())
                + "."))
        q = quotes[quotes["code"] == theme]
        if len(q):
            blocks.append(Text("**Exemplar quotes**"))
            for row in q.itertuples():
                role = f" · {row.speaker_role}" if row.speaker_role else ""
                blocks.append(Quote(row.quote, row.citation,
                                    f"chars {row.start}–{row.end}{role}"))
        out.append(Section(f"theme-{_slug(theme)}", f"{ctx.labels[theme]} (`{theme}`)",
                           tuple(blocks), level=2))
    return out


def deficit_section(ctx, code, profile, challenges, markers) -> Section:
    label = ctx.labels.get(code, code)
    blocks: list[Block] = [Text(
        f"How often people are framed by what they lack (`{code}` and its sub-codes), per "
        "1,000 words spoken, by speaker role: overall and in each case.")]
    overall = profile[profile["case"] == "(all)"]
    blocks.append(Table(("Speaker role", "Codings", "Segments", "Words", "Per 1,000 words"),
                        tuple((_group(r.speaker_role), _int(r.hits), _int(r.segments),
                               _int(r.words), _rate(r.per_1000_words))
                              for r in overall.itertuples()),
                        caption=f"{label}: overall", align=("l", "r", "r", "r", "r")))
    per_case = profile[(profile["case"] != "(all)") & (profile["hits"] > 0)]
    if len(per_case):
        blocks.append(Table(("Case", "Speaker role", "Codings", "Words", "Per 1,000 words"),
                            tuple((r.case, _group(r.speaker_role), _int(r.hits), _int(r.words),
                                   _rate(r.per_1000_words)) for r in per_case.itertuples()),
                            caption=f"{label}: cases with codings",
                            align=("l", "l", "r", "r", "r")))
    blocks.append(Text(
        "Passages where a speaker may challenge deficit framing: segments coded with the "
        "theme that also contain a challenge marker (" + ", ".join(f"“{m}”" for m in markers[:8])
        + (", …" if len(markers) > 8 else "") + "). This is a heuristic to find passages to "
        "read, not a classification.", "note"))
    if challenges is None or challenges.empty:
        blocks.append(Text("No coded segment contains a challenge marker."))
    else:
        for r in challenges.head(10).itertuples():
            blocks.append(Quote(r.text, r.citation,
                                f"markers: {r.markers} · chars {r.start}–{r.end}"))
        if len(challenges) > 10:
            blocks.append(Text(f"… and {len(challenges) - 10} more (tables/"
                               "deficit_challenges.csv).", "note"))
    return Section("deficit-language", "Deficit-language profile", tuple(blocks))


def reliability_section(agreement: pd.DataFrame, coders, ctx) -> Section:
    cols = [c for c in ("percent_agreement", "cohen_kappa", "krippendorff_alpha", "gwet_ac1",
                        "precision", "recall", "f1") if c in agreement.columns]
    names = {"percent_agreement": "% agreement", "cohen_kappa": "Cohen's κ",
             "krippendorff_alpha": "Krippendorff's α", "gwet_ac1": "Gwet's AC1",
             "precision": "Precision", "recall": "Recall", "f1": "F1"}
    rank = {t: i for i, t in enumerate(ctx.themes)}
    agreement = agreement.assign(_rank=agreement["code"].astype(str).map(rank).fillna(len(rank)))
    agreement = agreement.sort_values("_rank", kind="stable")  # codebook order, pooled last
    rows = []
    for r in agreement.itertuples(index=False):
        values = []
        for c in cols:
            v = float(getattr(r, c))
            values.append("–" if not np.isfinite(v) else
                          f"{100 * v:.0f}%" if c == "percent_agreement" else f"{v:.2f}")
        code = str(r.code)
        rows.append((ctx.labels.get(code, code), _int(r.n_units), _int(r.n_coded), *values))
    blocks = [
        Text(f"Agreement between the coders ({', '.join(coders)}) on the presence of each "
             f"theme in each {ctx.unit}, computed with cmqual.reliability.agreement_table; "
             "the last row pools every theme. “–” marks a coefficient that is undefined "
             "(for example when no coder used the theme)."),
        Table(("Theme", "Segments", "Coded", *[names[c] for c in cols]), tuple(rows),
              caption="Inter-coder agreement", align=("l", "r", "r", *["r"] * len(cols))),
    ]
    return Section("reliability", "Reliability", tuple(blocks))


def limitations_section(ctx: Context, coders) -> Section:
    items = [
        "Automatic codes are suggestions, not findings: cmqual's matcher finds words and "
        "phrases that a codebook associates with a theme. A person should review them "
        "(accept, reject, recode) before any claim rests on them.",
        "Counts are not statistical significance. Prevalence describes these transcripts; "
        "the tests are exploratory, uncorrected for the number of themes and attributes, and "
        "assume cases are independent.",
        "Prevalence depends on the unit of analysis, the case definition and the codebook "
        "version; compare reports only when these match (see Methods and provenance).",
        "Exemplar quotes are chosen by an algorithm for typicality and spread; read them in "
        "context (offsets are given) before quoting them in publications, and check consent "
        "and anonymisation.",
        "Saturation depends on the order in which documents are added and on the codebook: a "
        "fixed codebook cannot show themes it does not contain.",
    ]
    if AUTO_CODER in coders:
        items.insert(0, f"This report includes codings by the automatic coder ({AUTO_CODER}).")
    if ctx.pseudonymisation is not None:
        items.append("Pseudonymisation is automatic: it replaces the names it was given and "
                     "what its rules recognise, and can miss a nickname, a misspelling or an "
                     "identifying detail. Read every quote before sharing the report.")
    return Section("limitations", "Limitations", (Bullets(tuple(items)),))
