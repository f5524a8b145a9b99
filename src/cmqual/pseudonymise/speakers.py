"""Speaker labels: which are roles, which are names, and the labels names get."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from cmqual.corpus import IngestOptions
from cmqual.errors import ConfigError
from cmqual.io.base import detect_labels, is_name, split_lines
from cmqual.pseudonymise.layouts import _Turn
from cmqual.pseudonymise.names import Name, _Entity, _norm, _person_words, _Registry

_GENERIC_LABEL_RE = re.compile(
    r"^(?:interviewer|interviewee|int|participant|respondent|speaker|moderator|facilitator|"
    r"researcher|student|pupil|mentor|mentee|coach|coachee|trainee|teacher|tutor|parent|"
    r"lecturer|manager|member|observer|panellist|panelist|host|guest|child|young person|"
    r"q|a|i|p|r|chair|the chair|chairman|chairwoman|chairperson|counsel|witness|question|"
    r"answer|questioner|unknown speaker|unidentified speaker|unknown|male|female|all|group|"
    r"several|multiple|voice|audience)(?:\s*#?\d+|\s+[A-Z])?$|^[A-Z]{1,3}\s*#?\d+$",
    re.IGNORECASE,
)
_P_NUMBER_RE = re.compile(r"^p\s*#?0*(\d+)$", re.IGNORECASE)


def _is_role_label(label: str, options: IngestOptions) -> bool:
    label = label.strip()
    return (len(label) < 2 or options.is_interviewer(label)
            or bool(_GENERIC_LABEL_RE.match(label)))


def _assign_speakers(reg: _Registry, structure: Mapping[str, list[_Turn]], doc_ids: list[str],
                     extra: Mapping[str, list[tuple[str, str]]], listed: Sequence[Name],
                     options: IngestOptions) -> dict[str, _Entity]:
    """Give every named speaker an entity with a label; return ``{real label: entity}``."""
    first_names: dict[str, list[_Entity]] = {}
    full: dict[str, _Entity] = {}
    for n in listed:
        if n.type != "person":
            continue
        ent = reg.entity(n.type, _norm(n.name), n.name, "names")
        words = _person_words(n.name)
        for v in (n.name, " ".join(words), *n.variants):
            full.setdefault(_norm(v), ent)
        if len(words) > 1:
            first_names.setdefault(_norm(words[0]), []).append(ent)
    roles: dict[str, str] = {}
    used: dict[str, set[str]] = {}  # doc -> role labels kept as they are
    turns = [(doc, t.speaker, t.role) for doc in doc_ids for t in structure[doc]]
    turns += [(doc, spk, role) for doc in doc_ids for spk, role in extra.get(doc, [])]
    for doc, spk, role in turns:
        if not spk:
            continue
        if _is_role_label(spk, options):
            used.setdefault(doc, set()).add(_norm(spk))
        else:
            roles.setdefault(spk, role)
    ents: dict[str, _Entity] = {}
    for spk in roles:
        key = _norm(spk)
        ent = full.get(key) or (first_names[key][0] if len(first_names.get(key, ())) == 1
                                else None)
        ents[spk] = reg.add_name(Name(spk), "speaker", ent)
    all_used = set().union(*used.values()) if used else set()
    p_taken = {int(m.group(1)) for u in all_used if (m := _P_NUMBER_RE.match(u))}
    interviewers = list(dict.fromkeys(
        ents[s] for s, role in roles.items() if role == "interviewer" and not ents[s].explicit))
    clash = any("interviewer" in used.get(doc, ()) for doc, spk, _ in turns
                if spk in ents and ents[spk] in interviewers)
    n_p = n_i = 0
    problems = []
    for spk, role in roles.items():
        ent = ents[spk]
        if ent.label:
            continue
        if ent.explicit:
            if not is_name(ent.explicit) or ":" in ent.explicit:
                problems.append(f"pseudonym {ent.explicit!r} for speaker {spk!r} cannot be a "
                                "speaker label: use capitalised words or numbers, no colon")
            ent.label = ent.explicit
        elif role == "interviewer":
            if len(interviewers) == 1 and not clash:
                ent.label = "Interviewer"
            else:
                n_i += 1
                while _norm(f"Interviewer {n_i}") in all_used:
                    n_i += 1
                ent.label = f"Interviewer {n_i}"
        else:
            n_p += 1
            while n_p in p_taken:
                n_p += 1
            ent.label = f"P{n_p:02d}"
    for doc in doc_ids:
        seen: dict[str, str] = {}
        for turn in structure[doc]:
            new = ents[turn.speaker].label if turn.speaker in ents else turn.speaker
            if turn.speaker and seen.setdefault(_norm(new), turn.speaker) != turn.speaker:
                problems.append(f"{doc}: speakers {seen[_norm(new)]!r} and {turn.speaker!r} "
                                f"would both be labelled {new!r}; give one a pseudonym in "
                                "names.csv")
    if problems:
        raise ConfigError("speaker labels cannot be pseudonymised", sorted(set(problems)))
    return ents


def _label_spans(text: str, turns: Sequence[_Turn], fmt: str,
                 options: IngestOptions) -> tuple[list[tuple[int, int, str]], bool]:
    """Where each turn's speaker label is written; False when one cannot be found."""
    out, prev, ok = [], 0, True
    for turn in turns:
        start = turn.paragraphs[0][0]
        if turn.speaker:
            pos = text.rfind(turn.speaker, prev, start)
            if pos < 0:
                ok = False
            else:
                out.append((pos, pos + len(turn.speaker), turn.speaker))
        prev = turn.paragraphs[-1][1]
    if fmt in ("txt", "md"):  # labels of turns without words are in no segment
        lines = split_lines(text)
        have = {s for s, _, _ in out}
        for i, (speaker, content, _) in detect_labels(text, lines, options.transcript).items():
            pos = text.rfind(speaker, lines[i][0], content)
            if pos >= 0 and pos not in have:
                out.append((pos, pos + len(speaker), speaker))
    return sorted(out), ok
