"""``metadata.csv`` and ``speakers.csv``: identifying columns and their pseudonymised copies.

Columns that name people, organisations, places or contact details are registered as
names (so they are replaced in the transcripts too) and pseudonymised with the same
pseudonyms; every other cell goes through the detection rules.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from cmqual.corpus import Corpus
from cmqual.io.folder import METADATA_FILE, SPEAKERS_FILE
from cmqual.pseudonymise.names import Name, _norm, _phone_key, _Registry, is_common_word
from cmqual.pseudonymise.offsets import OffsetMap
from cmqual.pseudonymise.rules import _find_claims

# Column names (lower case, "_" between words) whose values identify.
_ID_COLUMNS: dict[str, frozenset[str]] = {
    "person": frozenset({
        "name", "names", "full_name", "fullname", "first_name", "firstname", "forename",
        "given_name", "last_name", "lastname", "surname", "family_name", "participant",
        "participant_name", "interviewee", "interviewer", "person", "speaker_name",
        "real_name", "initials", "contact", "contact_name", "mentor_name", "student_name"}),
    "organisation": frozenset({
        "institution", "school", "college", "university", "organisation", "organization",
        "employer", "workplace", "company", "trust", "provider", "academy", "hospital",
        "setting", "site", "department", "faculty", "service"}),
    "place": frozenset({
        "town", "city", "village", "address", "home_address", "street", "location",
        "place", "birthplace", "hometown", "home_town"}),
    "email": frozenset({"email", "e_mail", "email_address", "mail"}),
    "phone": frozenset({"phone", "telephone", "tel", "mobile", "phone_number",
                        "mobile_number", "telephone_number", "contact_number"}),
    "postcode": frozenset({"postcode", "post_code", "postal_code", "zip", "zip_code",
                           "zipcode"}),
    "url": frozenset({"url", "website", "web", "homepage", "linkedin"}),
}
_DOC_KEY_COLUMNS = ("file", "filename", "file_name", "doc", "document", "doc_id", "path")
_MISSING = frozenset({"", "na", "n/a", "none", "unknown", "-", "null", "nan", "not known"})


def _column_kind(column: str) -> str | None:
    col = re.sub(r"[^0-9a-z]+", "_", column.strip().lower()).strip("_")
    for kind, names in _ID_COLUMNS.items():
        if col in names:
            return kind
    stem = col[:-5] if col.endswith("_name") else ""
    if stem in _ID_COLUMNS["organisation"]:
        return "organisation"
    if stem and col not in _DOC_KEY_COLUMNS and col not in ("doc_name", "code_name"):
        return "person"
    return None


def _doc_lookup(corpus: Corpus) -> dict[str, str]:
    out: dict[str, str] = {}
    names: Counter = Counter()
    for d in corpus:
        for alias in (Path(d.path).name, Path(d.path).stem):
            names[alias] += 1
    for d in corpus:
        out[d.path] = out[d.id] = d.id
        for alias in (Path(d.path).name, Path(d.path).stem):
            if names[alias] == 1:
                out.setdefault(alias, d.id)
    return out


def _key_column(table: pd.DataFrame, required: bool) -> str | None:
    col = next((c for c in table.columns if str(c).lower() in _DOC_KEY_COLUMNS), None)
    return col if col is not None or not required or table.columns.empty else table.columns[0]


def _table_entities(reg: _Registry, table: pd.DataFrame | None, skip: set[str]) -> None:
    if table is None:
        return
    for col in table.columns:
        kind = _column_kind(str(col))
        if col in skip or kind is None:
            continue
        for value in table[col].tolist():
            value = "" if pd.isna(value) else " ".join(str(value).split())
            if value.casefold() in _MISSING or len(value) < 2 or reg.find(kind, value):
                continue
            if kind in ("person", "organisation", "place"):
                if any(ch.isupper() for ch in value) and not is_common_word(value):
                    reg.add_name(Name(value, kind), f"{col} column")
                else:
                    reg.entity(kind, _norm(value), value, f"{col} column")
            else:
                key = {"phone": _phone_key(value), "postcode": value.replace(" ", "")}.get(
                    kind, value.casefold())
                reg.entity(kind, key, value, f"{col} column")


def _table_out(table: pd.DataFrame, which: str, reg: _Registry, docs: Mapping[str, str],
               paths: Mapping[str, str], labels: Mapping[str, str],
               drop: Sequence[str]) -> pd.DataFrame:
    key = _key_column(table, required=which == METADATA_FILE)
    out = table.drop(columns=[c for c in drop if c in table.columns]).copy()
    for col in out.columns:
        kind = _column_kind(str(col))
        values = []
        for value in out[col].tolist():
            value = "" if pd.isna(value) else str(value)
            if col == key:
                doc = docs.get(value.strip().replace("\\", "/"))
                value = paths[doc] if doc else value
            elif which == SPEAKERS_FILE and str(col).lower() == "speaker":
                value = labels.get(value.strip(), value)
            elif kind is not None and " ".join(value.split()).casefold() not in _MISSING:
                ent = reg.find(kind, value)
                value = ((ent.label if reg.mode == "pseudonym" and ent.label else
                          reg.text_for(ent)) if ent else _pseudonymise_cell(value, reg))
            else:
                value = _pseudonymise_cell(value, reg)
            values.append(value)
        out[col] = pd.Series(values, index=out.index, dtype="object")
    if key is not None and key in out.columns:
        out = out.sort_values(key, kind="stable").reset_index(drop=True)
    return out


def _pseudonymise_cell(value: str, reg: _Registry) -> str:
    claims = [c for c in _find_claims(value, reg) if c.entity is not None]
    if not claims:
        return value
    return OffsetMap.from_edits("", value, [(c.start, c.end, reg.text_for(c.entity))
                                            for c in claims]).new_text
