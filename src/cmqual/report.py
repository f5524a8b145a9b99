"""Report writers: the corpus summary and evidence reports.

:func:`build_report` (from :mod:`cmqual.reporting`) builds an evidence report from a corpus,
codebooks and codings; :meth:`Report.write` writes it as HTML, Markdown and Word.
:func:`write_corpus_summary` writes a corpus's tables and a Markdown summary.

Only this module, :mod:`cmqual.reporting`, :mod:`cmqual.io`, the store, batch and CLI
write files.
"""

from __future__ import annotations

from pathlib import Path

from cmqual.corpus import Corpus
from cmqual.io.tables import write_table, write_text
from cmqual.reporting import Report, build_report

__all__ = ["Report", "build_report", "corpus_summary_markdown", "write_corpus_summary"]


def corpus_summary_markdown(corpus: Corpus) -> str:
    """A short Markdown summary of a corpus: totals, documents, speakers."""
    lines = [f"# Corpus summary: {corpus.name}", ""]
    lines += ["| measure | value |", "|---|---|"]
    lines += [f"| {m} | {v} |" for m, v in corpus.summary().itertuples(index=False)]
    lines += ["", f"Corpus hash (SHA-256): `{corpus.hash}`", "", "## Documents", ""]
    cols = ["doc", "format", "n_speakers", "n_turns", "n_sentences", "n_words",
            *corpus.attribute_types]
    docs = corpus.documents[cols]
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "---|" * len(cols))
    for row in docs.itertuples(index=False):
        lines.append("| " + " | ".join("" if _na(v) else _fmt(v) for v in row) + " |")
    lines += ["", "## Speakers", "", "| document | speaker | role | turns | words |",
              "|---|---|---|---|---|"]
    for r in corpus.speakers.itertuples(index=False):
        lines.append(f"| {r.doc_id} | {r.speaker} | {r.speaker_role} | {r.n_turns} | "
                     f"{r.n_words} |")
    return "\n".join(lines) + "\n"


def _na(v: object) -> bool:
    try:
        return v is None or bool(v != v)
    except (TypeError, ValueError):
        return False


def _fmt(v: object) -> str:
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d")
    return str(v).replace("|", "\\|")


def write_corpus_summary(corpus: Corpus, out_dir: str | Path) -> list[Path]:
    """Write documents.csv, speakers.csv, segments.csv and summary.md to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [
        write_table(corpus.documents, out / "documents.csv"),
        write_table(corpus.speakers, out / "speakers.csv"),
        write_table(corpus.segments, out / "segments.csv"),
        write_text(out / "summary.md", corpus_summary_markdown(corpus)),
    ]
