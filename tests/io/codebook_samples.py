"""Sample codebooks for the exchange-format tests (``tests/io/test_qdc.py`` and friends).

``sample_codebook()`` reads ``tests/data/qdc/sample_codebook.yaml``, whose keys mirror the
:class:`cmqual.codebook.Codebook` dataclasses one to one, so these tests do not depend on the
YAML loader's own conventions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cmqual.codebook import Code, Codebook, Source

DATA = Path(__file__).resolve().parents[1] / "data" / "qdc"
HOSTILE = DATA / "hostile"
_LISTS = (
    "include",
    "exclude",
    "examples",
    "near_misses",
    "patterns",
    "exclude_patterns",
    "sources",
)


def build_code(spec: dict[str, Any], codebook_id: str, parent: str = "") -> Code:
    """Build a Code (and its children) from a plain dict, computing path and ref."""
    spec = dict(spec)
    path = f"{parent}/{spec['id']}" if parent else spec["id"]
    children = spec.pop("codes", [])
    for name in _LISTS:
        spec[name] = tuple(spec.get(name) or ())
    return Code(
        **spec,
        path=path,
        ref=f"{codebook_id}/{path}",
        codes=tuple(build_code(c, codebook_id, path) for c in children),
    )


def build_codebook(spec: dict[str, Any]) -> Codebook:
    """Build a Codebook from a plain dict with the dataclasses' field names."""
    spec = dict(spec)
    codes = spec.pop("codes", [])
    sources = tuple(Source(**s) for s in spec.pop("sources", []))
    return Codebook(
        **spec,
        sources=sources,
        codes=tuple(build_code(c, spec["id"]) for c in codes),
    )


def sample_codebook() -> Codebook:
    """The awkward fixture codebook (nested, unicode, escaping, empty lists)."""
    with (DATA / "sample_codebook.yaml").open(encoding="utf-8") as handle:
        return build_codebook(yaml.safe_load(handle))


def all_codes(codes: tuple[Code, ...]) -> list[Code]:
    """Every code of a tree, parents before children."""
    out: list[Code] = []
    for code in codes:
        out.append(code)
        out.extend(all_codes(code.codes))
    return out
