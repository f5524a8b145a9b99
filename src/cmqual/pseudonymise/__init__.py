"""Pseudonymise a corpus before its transcripts are shared, deposited or quoted.

Ethics boards and data protection law (UK GDPR; the UK Data Service and ICO guidance on
anonymisation) ask for transcripts to be de-identified before they leave the research
team. :func:`pseudonymise_corpus` writes a new corpus folder whose transcripts have
speaker labels, listed names and direct identifiers replaced, a separate *key* linking
every pseudonym to the real value, and a *review list* of what the rules did not replace
but a person should check. :func:`pseudonymise` does the same without touching files;
:func:`pseudonymise_in_memory` also builds the pseudonymised corpus in memory (for reports
that must quote only pseudonymised text, see ``cmqual report --pseudonymise``).

What is replaced (first rule wins where matches overlap)
--------------------------------------------------------
1. **Speaker labels.** Labels that already are roles (``Interviewer``, ``Q``, ``A``,
   ``Participant 3``, ``Speaker 2``, ``P01`` ...) stay. Named speakers get ``Interviewer``
   (``Interviewer 1``, ``Interviewer 2`` ... when the corpus has several named
   interviewers) or ``P01``, ``P02`` ... numbered by first appearance in the sorted
   documents, skipping numbers the corpus already uses. A ``pseudonym`` given for the
   speaker in ``names.csv`` (or a ``pseudonym`` column in ``speakers.csv``) wins. A
   speaker is also a listed person: mentions in the text become ``[P01]``.
2. **Email addresses** (the whole address, also when it contains a listed name), **URLs**
   and bare web domains (``school.org.uk``).
3. **Phone numbers** in UK and international formats (``07700 900123``,
   ``+44 (0)7700 900123``, ``(020) 7946 0018``, ``+1 (555) 123-4567``) and **UK
   postcodes** (``SW1A 1AA``, ``M1 1AE``).
4. **Listed names**: every row of ``names.csv`` (see :func:`read_names`), the named
   speakers, and the values of identifying ``metadata.csv`` / ``speakers.csv`` columns.
   Variants are generated: a person's first name alone, the surname after a title
   (``Mr``, ``Mrs``, ``Ms``, ``Miss``, ``Mx``, ``Dr``, ``Prof``, ``Professor``, ``Lord``,
   ``Lady``, ``Sir``, ``Dame``, with or without a dot), the full name after a title; an
   organisation's name without generic words (``Northfield College`` → ``Northfield``).
   Matching is whole-word and case-insensitive, a name may be split by one line break,
   a possessive ``'s`` / ``’s`` stays after the pseudonym, and a hyphenated name is never
   matched in part (``Smith`` does not match inside ``Smith-Jones``). A one-word variant
   that is also a common English word (``Hope``, ``Bill``, ``May``, ``Will``; see
   :func:`is_common_word`) is replaced only when capitalised, so "I hope" stays; set
   ``match`` to ``anycase`` or ``capitalised`` in ``names.csv`` to decide yourself.
5. **Titled names** not listed: a title followed by one to three capitalised words
   (``Dr. Patel``, ``Mrs O’Neill``, ``Prof Smith-Jones``) is a person.

Pseudonyms
----------
The same real value gets the same pseudonym in every document: ``[Person 1]``,
``[Organisation 1]``, ``[Place 1]``, ``[Email 1]``, ``[Phone 1]``, ``[URL 1]``,
``[Postcode 1]`` (other ``type`` values in ``names.csv`` give ``[School 1]`` ...),
numbered per type by first appearance in the documents sorted by id. A pseudonym given
in ``names.csv`` is used as written. With ``mode="redact"`` every replacement in the
text is a marker such as ``[redacted: person]`` (speaker labels still get pseudonyms,
so turns stay apart). If a replacement would start a line and read as a ``[Name]``
speaker label, the line is indented by four spaces (the label rule allows three).

The new corpus
--------------
Each document becomes a UTF-8 ``.txt`` file with ``\\n`` line ends, named ``doc01.txt``,
``doc02.txt`` ... (``file_names="numbered"``, the default: file names often carry names)
or by its old path (``"keep"``). Where the original canonical text reads back as a
``.txt`` transcript with the same turns, the file is that text with the replacements
("in place"); otherwise (subtitles, Otter exports in Word, spreadsheets) it is rebuilt as
``Label: paragraph`` lines, one line per paragraph, a paragraph's inner line breaks
made spaces. Either way :func:`cmqual.read_corpus` on the folder gives the same turns and
paragraphs per document (checked while writing; a document that does not is reported in
``problems`` and warned about). Timestamps of subtitle and table formats are not kept.

``metadata.csv`` and ``speakers.csv`` are copied with the file column pointing at the new
files, rows sorted by file, and: columns that name people, organisations, places or
contact details (``name``, ``participant``, ``institution``, ``school``, ``college``,
``employer``, ``town``, ``address``, ``email``, ``phone``, ``postcode`` ... or any
``*_name``) pseudonymised with the same pseudonyms as the text (their values are listed
names, so they are replaced in the transcripts too); ``speaker`` mapped to the new
labels; every other cell passed through the rules above; ``drop_columns`` removed.
Quasi-identifiers such as dates and regions are kept: drop them if they identify.
A ``README.md`` (no real values) and a hidden ``.cmqual-pseudonymise.json`` listing the
files written are added. The key is never written inside the new corpus (nor the
original one): asking for that is an error.

Key and review list
-------------------
The key (default ``<out>-key.csv`` beside the output folder) has one row per replaced
value: ``type``, ``real``, ``pseudonym``, ``label`` (speakers), ``source``, ``count``,
``n_documents``, ``forms`` (the spellings found), plus a ``document`` row per file. The
review list (default ``<out>-review.csv`` in the key's folder) has words the rules left
alone but a person should check: capitalised words and runs (``Thornley Green``) found
mid-sentence that are not common English words and are not more often written in lower
case in the corpus, acronyms, and identifier-like strings (``S1234567``, long digit
runs), each with its document, original offsets and context. Both files hold real names:
keep them with the key, never share them. Add what the review finds to ``names.csv`` and
run again.

Offsets
-------
:class:`OffsetMap` carries spans between a document's original canonical text and the
canonical text of its pseudonymised file (0-based, end-exclusive code points, like every
offset in cmqual). Unchanged text maps one to one; a span that starts or ends inside a
replaced name (or a rewritten label or line break) grows to cover the whole replacement.
:func:`carry_codings` carries a whole codings table either way.

Modules
-------
``names`` (``names.csv``, variants, the registry of pseudonyms), ``rules`` (what is
detected: emails, URLs, phones, postcodes, listed and titled names), ``speakers`` (speaker
labels), ``metadata`` (identifying ``metadata.csv`` / ``speakers.csv`` columns),
``layouts`` (in-place or rebuilt files), ``offsets`` (:class:`OffsetMap`,
:func:`carry_codings`), ``review`` (the review list), ``result``
(:class:`PseudonymisationResult`), ``core`` (:func:`pseudonymise`,
:func:`pseudonymise_texts`), ``writing`` (:func:`pseudonymise_corpus`) and ``memory``
(:func:`pseudonymise_in_memory`). Import from
``cmqual.pseudonymise``; the submodules are not a public API.
"""

from cmqual.pseudonymise.core import FILE_NAMES, MODES, pseudonymise, pseudonymise_texts
from cmqual.pseudonymise.memory import pseudonymise_in_memory
from cmqual.pseudonymise.names import (
    COMMON_CAPITALISED,
    COMMON_NAME_WORDS,
    Name,
    NamesLike,
    is_common_word,
    names_from_table,
    read_names,
)
from cmqual.pseudonymise.names import MATCH_MODES as MATCH_MODES
from cmqual.pseudonymise.offsets import OffsetMap, carry_codings
from cmqual.pseudonymise.result import PseudonymisationResult
from cmqual.pseudonymise.writing import MARKER_FILE as MARKER_FILE
from cmqual.pseudonymise.writing import pseudonymise_corpus

# MATCH_MODES and MARKER_FILE stay importable from here but, as before, outside __all__
__all__ = [
    "COMMON_CAPITALISED",
    "COMMON_NAME_WORDS",
    "FILE_NAMES",
    "MODES",
    "Name",
    "NamesLike",
    "OffsetMap",
    "PseudonymisationResult",
    "carry_codings",
    "is_common_word",
    "names_from_table",
    "pseudonymise",
    "pseudonymise_corpus",
    "pseudonymise_in_memory",
    "pseudonymise_texts",
    "read_names",
]
