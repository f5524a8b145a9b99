"""Build paragraphs.jsonl from the hand-coded batch files (labels || text)."""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAP = {"r": "resourcing", "a": "assessment", "p": "power", "f": "formalisation", "d": "deficit_language"}
rows = []
for b in (1, 2, 3):
    for i, line in enumerate((HERE / f"batch{b}.txt").read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        code, text = line.split(" || ", 1)
        code = code.strip()
        labels = [] if code == "-" else [MAP[c] for c in code]
        assert len(set(labels)) == len(labels), line
        rows.append({"id": f"ind{b}-{i:03d}", "text": text.strip(), "labels": sorted(labels), "batch": b})
out = HERE.parent / "paragraphs.jsonl"
with out.open("w", encoding="utf-8") as fh:
    for r in rows:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")
print(len(rows), "rows ->", out)
