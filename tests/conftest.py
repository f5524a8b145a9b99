"""Shared test helpers."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Compiled Hyperscan databases go to a fresh folder for the test session (subprocesses
# inherit it), never to the user's ~/.cache.
os.environ.setdefault("CMQUAL_HYPERSCAN_CACHE", tempfile.mkdtemp(prefix="cmqual-hs-cache-"))

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = ROOT / "corpora" / "sample"


def copy_project_data(data: Path, dest: Path) -> Path:
    """Copy a test project's ``corpus/`` and ``codebook.yaml`` from ``data`` into ``dest``."""
    shutil.copytree(data / "corpus", dest / "corpus")
    shutil.copy(data / "codebook.yaml", dest / "codebook.yaml")
    return dest


@pytest.fixture
def make_corpus(tmp_path):
    """Write ``{relative name: str | bytes}`` into a fresh folder and return its path."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "corpus"
        root.mkdir(exist_ok=True)
        for name, content in files.items():
            p = root / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8", newline="")
        return root

    return make


def assert_offsets(corpus) -> None:
    """Every segment's text is exactly its slice of the canonical text, trimmed."""
    for row in corpus.segments.itertuples(index=False):
        text = corpus.texts[row.doc_id]
        assert text[row.start:row.end] == row.text, (row.doc_id, row.level, row.start)
        assert row.text == row.text.strip() and row.text, (row.doc_id, row.start)
