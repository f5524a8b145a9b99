"""Write the binary transcript fixtures (.docx, .xlsx) of this folder, byte for byte.

Run ``python tests/data/transcripts/make_fixtures.py`` from the project root. The output is
deterministic: zip members get a fixed date and document properties fixed times, so running
it twice gives identical files (``tests/io/test_docx.py`` checks that the committed files
match what this script builds).

* ``bold_speakers.docx``  (python-docx) bold speaker labels, tabs, line breaks
* ``table_transcript.docx`` (python-docx) transcript tables mixed with paragraphs
* ``word_markup.docx``    (hand-written XML) tracked changes, hyperlinks, fields,
  content controls, symbols, text boxes, equations, a bold character style
* ``turns.xlsx``          (openpyxl) one row per turn, Excel times, a second sheet
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
_FIXED = (2024, 1, 1, 0, 0, 0)


def stable_zip(blob: bytes) -> bytes:
    """Re-write a zip with fixed member dates and fixed document-property times."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                              rb"\g<1>2024-01-01T00:00:00Z", data)
            member = zipfile.ZipInfo(info.filename, date_time=_FIXED)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, data)
    return out.getvalue()


def bold_speakers() -> bytes:
    import docx
    from docx.enum.text import WD_BREAK

    d = docx.Document()
    d.add_paragraph("Interview with Alex, 3 May 2024")
    d.add_paragraph("")
    p = d.add_paragraph()
    p.add_run("Interviewer:").bold = True
    p.add_run(" Thanks for coming. How did you start?")
    p = d.add_paragraph()
    p.add_run("Alex").bold = True
    p.add_run(": It began in 2019.")
    d.add_paragraph("I was nervous at first.")
    p = d.add_paragraph()
    p.add_run("Interviewer").bold = True
    p.add_run(" And then?")
    p = d.add_paragraph()
    p.add_run("Alex").bold = True
    p.add_run(" \tThen\tit got better.")
    p = d.add_paragraph()
    p.add_run("Never").bold = True
    p.add_run(" had I seen that.")
    p = d.add_paragraph("First line")
    p.runs[0].add_break(WD_BREAK.LINE)
    p.add_run("Interviewer: still Alex speaking")
    p = d.add_paragraph()
    p.add_run("Sam:").style = "Strong"
    p.add_run("  I agree, mostly.")
    d.add_paragraph("Note: the recording ended here.")
    out = io.BytesIO()
    d.save(out)
    return stable_zip(out.getvalue())


def table_transcript() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("Focus group 2")

    def table(rows: list[tuple[str, ...]]) -> None:
        t = d.add_table(rows=0, cols=len(rows[0]))
        for row in rows:
            cells = t.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                paras = value.split("\n\n")
                cell.text = paras[0]
                for extra in paras[1:]:
                    cell.add_paragraph(extra)

    table([
        ("Speaker", "Transcript"),
        ("Moderator", "Welcome everyone."),
        ("P1:", "Hi.\n\nGlad to be here."),
        ("", "Continuing P1."),
        ("", ""),
        ("P2", "Hello."),
    ])
    d.add_paragraph("End of part one.")
    table([("Interviewer", "Ready?"), ("Kim", "Yes."), ("", "Very ready.")])
    table([
        ("Time", "Speaker", "Text"),
        ("00:01:05", "Kim", "Later words"),
        ("1:10", "Interviewer", "Bye"),
    ])
    table([("Date", "3 May 2024"), ("Place", "Leeds")])
    d.add_paragraph("Interviewer: Plain label after the tables.")
    out = io.BytesIO()
    d.save(out)
    return stable_zip(out.getvalue())


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_OOXML = "http://schemas.openxmlformats.org"
_REL = f"{_OOXML}/officeDocument/2006/relationships"
_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="{_OOXML}/package/2006/content-types">
<Default Extension="rels"
 ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="{_MAIN}.document.main+xml"/>
<Override PartName="/word/styles.xml" ContentType="{_MAIN}.styles+xml"/>
</Types>"""
_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{_OOXML}/package/2006/relationships">
<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="word/document.xml"/>
</Relationships>"""
_DOC_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{_OOXML}/package/2006/relationships">
<Relationship Id="rId1" Type="{_REL}/styles" Target="styles.xml"/>
<Relationship Id="rId9" Type="{_REL}/hyperlink" Target="https://example.org/"
 TargetMode="External"/>
</Relationships>"""
_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="{_W}">
<w:style w:type="character" w:styleId="BoldBase"><w:name w:val="Bold base"/>
 <w:rPr><w:b/></w:rPr></w:style>
<w:style w:type="character" w:styleId="SpeakerName"><w:name w:val="Speaker name"/>
 <w:basedOn w:val="BoldBase"/></w:style>
</w:styles>"""
_BODY = """
<w:sdt><w:sdtPr><w:alias w:val="Title"/></w:sdtPr><w:sdtContent>
 <w:p><w:r><w:t>Interview 7 – tracked changes</w:t></w:r></w:p>
</w:sdtContent></w:sdt>
<w:p>
 <w:r><w:rPr><w:rStyle w:val="SpeakerName"/></w:rPr><w:t>Interviewer:</w:t></w:r>
 <w:r><w:t xml:space="preserve"> We </w:t></w:r>
 <w:ins w:id="1" w:author="A"><w:r><w:t xml:space="preserve">really </w:t></w:r></w:ins>
 <w:del w:id="2" w:author="A"><w:r><w:delText xml:space="preserve">never </w:delText></w:r></w:del>
 <w:r><w:t>value</w:t></w:r>
 <w:hyperlink r:id="rId9"><w:r><w:t xml:space="preserve"> this link</w:t></w:r></w:hyperlink>
 <w:r><w:t>.</w:t></w:r>
</w:p>
<w:p>
 <w:r><w:rPr><w:b/></w:rPr><w:t>Participant</w:t></w:r>
 <w:r><w:rPr><w:b w:val="1"/></w:rPr><w:t xml:space="preserve"> 2</w:t></w:r>
 <w:r><w:t>:</w:t><w:tab/><w:t xml:space="preserve">It was a </w:t></w:r>
 <w:smartTag w:uri="u" w:element="e"><w:r><w:t>well</w:t></w:r></w:smartTag>
 <w:r><w:noBreakHyphen/><w:t xml:space="preserve">known fact </w:t></w:r>
 <w:r><w:sym w:font="Symbol" w:char="2014"/></w:r>
 <w:r><w:t xml:space="preserve"> page </w:t></w:r>
 <w:fldSimple w:instr=" PAGE "><w:r><w:t>3</w:t></w:r></w:fldSimple>
 <w:r><w:t xml:space="preserve">, see </w:t></w:r>
 <w:r><w:fldChar w:fldCharType="begin"/></w:r>
 <w:r><w:instrText xml:space="preserve"> REF note1 </w:instrText></w:r>
 <w:r><w:fldChar w:fldCharType="separate"/></w:r>
 <w:r><w:t>the note</w:t></w:r>
 <w:r><w:fldChar w:fldCharType="end"/></w:r>
 <w:r><w:t>.</w:t></w:r>
</w:p>
<w:p>
 <w:r><w:t xml:space="preserve">Main text </w:t></w:r>
 <w:r><mc:AlternateContent>
  <mc:Choice Requires="wps"><w:drawing><wp:inline><a:graphic><a:graphicData><wps:wsp>
   <wps:txbx><w:txbxContent><w:p><w:r><w:t>BOX TEXT</w:t></w:r></w:p></w:txbxContent></wps:txbx>
  </wps:wsp></a:graphicData></a:graphic></wp:inline></w:drawing></mc:Choice>
  <mc:Fallback><w:pict><v:shape><v:textbox>
   <w:txbxContent><w:p><w:r><w:t>BOX TEXT</w:t></w:r></w:p></w:txbxContent>
  </v:textbox></v:shape></w:pict></mc:Fallback>
 </mc:AlternateContent></w:r>
 <w:r><w:t xml:space="preserve">continues with </w:t></w:r>
 <m:oMath><m:r><m:t>x=1</m:t></m:r></m:oMath>
</w:p>
<w:p>
 <w:r><w:t>line one</w:t><w:br/><w:t>Interviewer: line two</w:t><w:cr/><w:t>a&#13;b</w:t></w:r>
</w:p>
<w:p>
 <w:moveFrom w:id="3" w:author="A"><w:r><w:t>moved away</w:t></w:r></w:moveFrom>
 <w:moveTo w:id="4" w:author="A"><w:r><w:t>moved here</w:t></w:r></w:moveTo>
</w:p>
<w:p><w:del w:id="5" w:author="A"><w:r><w:delText>all gone</w:delText></w:r></w:del></w:p>
<w:p>
 <w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">Interviewer </w:t></w:r>
 <w:r><w:t>Thanks.</w:t></w:r>
</w:p>
<w:p>
 <w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">Participant 2: </w:t></w:r>
 <w:r><w:rPr><w:b/></w:rPr><w:t>bold words too</w:t></w:r>
</w:p>
<w:p>
 <w:r><w:rPr><w:b w:val="false"/></w:rPr><w:t>Interviewer</w:t></w:r>
 <w:r><w:t xml:space="preserve"> not bold, not a label</w:t></w:r>
</w:p>
<w:sectPr/>
"""
_NAMESPACES = {
    "w": _W,
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "m": "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "v": "urn:schemas-microsoft-com:vml",
}


def word_package(body: str) -> bytes:
    """A minimal .docx package around ``body`` (the XML inside ``<w:body>``)."""
    ns = " ".join(f'xmlns:{k}="{v}"' for k, v in _NAMESPACES.items())
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<w:document {ns} mc:Ignorable=""><w:body>{body}</w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _RELS),
                           ("word/_rels/document.xml.rels", _DOC_RELS),
                           ("word/styles.xml", _STYLES), ("word/document.xml", document)):
            member = zipfile.ZipInfo(name, date_time=_FIXED)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            zf.writestr(member, text.encode("utf-8"))
    return out.getvalue()


def word_markup() -> bytes:
    return word_package(_BODY)


def turns_xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Transcript"
    ws.append(["Speaker", "Start", "End", "Utterance", "Notes"])
    ws.append(["Interviewer", dt.time(0, 0, 5), dt.time(0, 0, 9, 500000), "Welcome back.",
               "x"])
    ws.append(["Participant 1", 12.5, "00:00:20", "Two lines\r\nin one cell", None])
    ws.append([None, None, None, None, None])
    ws.append(["Participant 1", "soon", None, "   ", None])
    ws.append([None, "0:30", None, "An unlabelled row", None])
    ws.append(["Interviewer", dt.timedelta(minutes=1, seconds=2), None, 42, None])
    ws.append(["  Participant   1 ", "bad time", None, "Escaped_x000D_\ncarriage", None])
    other = wb.create_sheet("Other")
    other.append(["Speaker", "Text"])
    other.append(["Nobody", "Never read"])
    wb.properties.created = dt.datetime(2024, 1, 1)
    out = io.BytesIO()
    wb.save(out)
    return stable_zip(out.getvalue())


FIXTURES: dict[str, Callable[[], bytes]] = {
    "bold_speakers.docx": bold_speakers,
    "table_transcript.docx": table_transcript,
    "word_markup.docx": word_markup,
    "turns.xlsx": turns_xlsx,
}


def main() -> int:
    for name, build in FIXTURES.items():
        (HERE / name).write_bytes(build())
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
