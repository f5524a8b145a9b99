import warnings

import pandas as pd
import pytest

import cmqual
from cmqual.errors import CmqualWarning, ConfigError, CorpusError, InputFileError, MetadataError
from conftest import SAMPLE, assert_offsets

TRANSCRIPT = ("Interviewer: Did you choose your mentor?\n"
              "Sam: No. It was allocated, e.g. by Dr. Khan. We met at 10:30 on Mondays.\n"
              "It was fine though!\n"
              "Interviewer: Thanks.\n")


def test_read_corpus_builds_three_levels_with_exact_offsets(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT, "sub/b.md": "A story.\n\nAnother one? Yes.\n"})
    corpus = cmqual.read_corpus(root)
    assert corpus.doc_ids == ["a", "sub/b"]
    assert_offsets(corpus)
    seg = corpus.segments
    assert set(seg["level"]) == {"turn", "paragraph", "sentence"}
    sam = seg[(seg.doc_id == "a") & (seg.speaker == "Sam")]
    assert sam[sam.level == "sentence"]["text"].tolist() == [
        "No.", "It was allocated, e.g. by Dr. Khan.", "We met at 10:30 on Mondays.",
        "It was fine though!"]
    assert sam[sam.level == "turn"]["n_words"].item() == 18
    assert set(sam["speaker_role"]) == {"participant"}
    assert set(seg[seg.speaker == "Interviewer"]["speaker_role"]) == {"interviewer"}
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["sub/b", "doc"] == "sub/b.md"
    assert docs.loc["a", "n_turns"] == 3 and docs.loc["sub/b", "n_turns"] == 2


def test_segment_ids_are_stable_and_unique(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT})
    first = cmqual.read_corpus(root).segments
    second = cmqual.read_corpus(root).segments
    assert first["segment_id"].is_unique
    pd.testing.assert_frame_equal(first, second)


def test_segment_ids_change_when_text_changes(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT})
    before = set(cmqual.read_corpus(root).segments["segment_id"])
    (root / "a.txt").write_text(TRANSCRIPT.replace("Thanks", "Thank you"), encoding="utf-8")
    after = set(cmqual.read_corpus(root).segments["segment_id"])
    assert before != after


def test_documented_columns(make_corpus):
    corpus = cmqual.read_corpus(make_corpus({"a.txt": TRANSCRIPT}))
    from cmqual.tables import DOCUMENT_COLUMNS, SEGMENT_COLUMNS
    assert list(corpus.segments.columns) == list(SEGMENT_COLUMNS)
    assert list(corpus.documents.columns)[: len(DOCUMENT_COLUMNS)] == list(DOCUMENT_COLUMNS)


def test_metadata_is_typed_and_overridable(make_corpus):
    root = make_corpus({
        "a.txt": TRANSCRIPT, "b.txt": TRANSCRIPT,
        "metadata.csv": "file,role,cohort,score,date,consent,notes\n"
                        "a.txt,mentor,2023,1.5,2024-01-02,yes,\n"
                        "b,trainee teacher,2024,,2024-02-03,no,"
                        "\"A long free-text note about this interview and what happened\"\n",
    })
    corpus = cmqual.read_corpus(root)
    assert dict(corpus.attribute_types) == {
        "role": "category", "cohort": "integer", "score": "float", "date": "date",
        "consent": "boolean", "notes": "text"}
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["a", "cohort"] == 2023 and str(docs["cohort"].dtype) == "Int64"
    assert pd.isna(docs.loc["b", "score"])
    assert docs.loc["b", "date"] == pd.Timestamp("2024-02-03")
    assert corpus.document("a").attributes["role"] == "mentor"
    corpus2 = cmqual.read_corpus(root, attribute_types={"cohort": "category"})
    assert corpus2.attribute_types["cohort"] == "category"


def test_metadata_wrong_type_override_names_line_and_column(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT, "metadata.csv": "file,cohort\na.txt,twenty\n"})
    msg = r"line 2, column 'cohort': 'twenty' is not a valid integer"
    with pytest.raises(MetadataError, match=msg):
        cmqual.read_corpus(root, attribute_types={"cohort": "integer"})


def test_metadata_naming_missing_file_is_an_error(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT, "metadata.csv": "file,role\na.txt,x\nghost.txt,y\n"})
    with pytest.raises(MetadataError, match=r"metadata.csv line 3: names 'ghost.txt'"):
        cmqual.read_corpus(root)


def test_document_without_metadata_row_warns(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT, "b.txt": TRANSCRIPT,
                        "metadata.csv": "file,role\na.txt,x\n"})
    with pytest.warns(CmqualWarning, match=r"no row for 1 document\(s\): b"):
        corpus = cmqual.read_corpus(root)
    assert pd.isna(corpus.documents.set_index("doc_id").loc["b", "role"])


def test_metadata_column_clashing_with_builtin(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT, "metadata.csv": "file,speaker\na.txt,x\n"})
    with pytest.raises(MetadataError, match="clashes with a built-in column"):
        cmqual.read_corpus(root)


def test_speakers_csv_sets_roles_and_attributes(make_corpus):
    root = make_corpus({"a.txt": "Jo: Hello.\nSam: Hi.\nJo: Bye.\n",
                        "speakers.csv": "file,speaker,role,age\na.txt,Jo,interviewer,40\n"
                                        ",Sam,participant,20\n"})
    corpus = cmqual.read_corpus(root)
    spk = corpus.speakers.set_index("speaker")
    assert spk.loc["Jo", "speaker_role"] == "interviewer"
    assert spk.loc["Sam", "age"] == "20"
    turns = corpus.segments_at("turn")
    assert turns["speaker_role"].tolist() == ["interviewer", "participant", "interviewer"]


def test_interviewer_labels_configurable(make_corpus):
    root = make_corpus({"a.txt": "Counsel: Q1?\nWitness: Yes.\n"})
    assert cmqual.read_corpus(root).speakers.set_index("speaker").loc[
        "Counsel", "speaker_role"] == "interviewer"
    corpus = cmqual.read_corpus(root, interviewer_labels=["Witness"])
    assert corpus.speakers.set_index("speaker").loc["Witness", "speaker_role"] == "interviewer"


@pytest.mark.parametrize("files,error,fragment", [
    ({}, CorpusError, "has no transcripts"),
    ({"a.txt": ""}, CorpusError, "a.txt: the file is empty"),
    ({"a.txt": "   \n\n"}, CorpusError, "a.txt: has no transcript text"),
    ({"a.pdf": "x", "b.txt": "x"}, CorpusError, "a.pdf: unsupported extension '.pdf'; supported:"),
    ({"a.txt": b"\x00\x01binary\x00"}, CorpusError, "a.txt: looks like a binary file"),
    ({"a.txt": b"bad \x81\x8d bytes"}, CorpusError, "a.txt: byte 4 (0x81) is not valid UTF-8"),
    ({"a.txt": "x", "a.md": "y"}, CorpusError, "a.txt: has the same document id 'a' as a.md"),
])
def test_bad_corpora_give_one_clear_error(make_corpus, files, error, fragment):
    root = make_corpus(files)
    with pytest.raises(error) as info:
        cmqual.read_corpus(root)
    assert fragment in str(info.value)


def test_several_bad_files_are_all_reported(make_corpus):
    root = make_corpus({"a.txt": "", "b.txt": b"\x00\x00", "c.txt": TRANSCRIPT})
    with pytest.raises(CorpusError) as info:
        cmqual.read_corpus(root)
    assert len(info.value.problems) == 2
    assert "could not read 2 of 3 file(s)" in str(info.value)


def test_missing_folder_and_file_instead_of_folder(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        cmqual.read_corpus(tmp_path / "nope")
    f = tmp_path / "f.txt"
    f.write_text("x")
    with pytest.raises(InputFileError, match="is a file, not a folder"):
        cmqual.read_corpus(f)


def test_readme_metadata_and_underscore_files_are_not_transcripts(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT, "README.md": "# about", "_draft.txt": "x",
                        ".hidden.txt": "y", "metadata.csv": "file,role\na.txt,x\n"})
    assert cmqual.read_corpus(root).doc_ids == ["a"]


def test_bad_option_values():
    with pytest.raises(ConfigError, match="paragraphs must be"):
        cmqual.TranscriptOptions(paragraphs="sometimes")
    with pytest.raises(ConfigError, match="sentence_model"):
        cmqual.IngestOptions(sentence_model="spacy")


def test_repr_html_and_summary(make_corpus):
    corpus = cmqual.read_corpus(make_corpus({"a.txt": TRANSCRIPT}))
    html = corpus._repr_html_()
    assert "cmqual corpus" in html and "a.txt" in html
    summary = dict(corpus.summary().itertuples(index=False))
    assert summary["documents"] == "1" and summary["turns"] == "3"


def test_corpus_hash_changes_with_text(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT})
    h1 = cmqual.read_corpus(root).hash
    (root / "a.txt").write_text(TRANSCRIPT + "Sam: More.\n", encoding="utf-8")
    assert cmqual.read_corpus(root).hash != h1


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample corpus missing")
def test_sample_corpus_reads_cleanly_in_every_format():
    with warnings.catch_warnings():
        warnings.simplefilter("error", CmqualWarning)
        corpus = cmqual.read_corpus(SAMPLE)
    assert len(corpus) >= 10
    assert len(set(corpus.documents["format"])) >= 4
    assert_offsets(corpus)
    docs = corpus.documents
    assert (docs["n_turns"] > 0).all() and (docs["n_sentences"] > 0).all()
    assert {"role", "sector"} <= set(corpus.attribute_types)
    labelled = docs[docs["n_speakers"] > 0]
    assert len(labelled) >= len(docs) - 1  # only the reflective journal has no speakers
    roles: dict[str, set] = {}
    for row in corpus.speakers.itertuples():
        roles.setdefault(row.doc_id, set()).add(row.speaker_role)
    # every interview has an interviewer and a participant
    assert all(r == {"interviewer", "participant"} for r in roles.values())


def test_levels_option_builds_only_what_is_asked(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT})
    full = cmqual.read_corpus(root)
    turns = cmqual.read_corpus(root, cmqual.IngestOptions(levels=("turn",)))
    assert set(turns.segments["level"]) == {"turn"}
    pd.testing.assert_frame_equal(turns.segments_at("turn"), full.segments_at("turn"))
    assert turns.documents.loc[0, "n_turns"] == full.documents.loc[0, "n_turns"]
    with pytest.raises(ConfigError, match="levels must be"):
        cmqual.IngestOptions(levels=("page",))


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample corpus missing")
@pytest.mark.parametrize("levels", [("turn", "paragraph", "sentence"), ("paragraph",)])
def test_worker_processes_give_the_same_corpus(levels):
    serial = cmqual.read_corpus(SAMPLE, cmqual.IngestOptions(levels=levels, workers=1))
    parallel = cmqual.read_corpus(SAMPLE, cmqual.IngestOptions(levels=levels, workers=2))
    for name in ("segments", "documents", "speakers"):
        pd.testing.assert_frame_equal(getattr(parallel, name), getattr(serial, name))
    assert parallel.texts == serial.texts and parallel.hash == serial.hash
    assert set(serial.segments["level"]) == set(levels)
    # counts still come from every level, whether or not its rows are kept
    assert (serial.documents["n_sentences"] > 0).all() == ("sentence" in levels)
    assert (serial.documents["n_paragraphs"] > 0).all()


def test_worker_processes_report_every_bad_file(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT, "b.txt": "", "c.csv": "who,what\nx,y\n"})
    with pytest.raises(CorpusError) as info:
        cmqual.read_corpus(root, cmqual.IngestOptions(workers=2))
    text = str(info.value)
    assert "b.txt" in text and "c.csv" in text and "a.txt" not in text


def test_workers_option_is_checked_and_options_pickle():
    import pickle

    for bad in (0, -1, 1.5, True):
        with pytest.raises(ConfigError, match="workers"):
            cmqual.IngestOptions(workers=bad)
    options = cmqual.IngestOptions(attribute_types={"cohort": "category"}, workers=2)
    assert pickle.loads(pickle.dumps(options)) == options


def test_worker_processes_pass_warnings_on(make_corpus):
    root = make_corpus({"a.txt": TRANSCRIPT, "b.txt": "Ana: caf\xe9 time\n".encode("cp1252")})
    with pytest.warns(CmqualWarning, match="b.txt"):
        corpus = cmqual.read_corpus(root, cmqual.IngestOptions(workers=2))
    assert "café" in corpus.texts["b"]


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample corpus missing")
def test_spawned_workers_as_on_macos_and_windows_give_the_same_corpus(monkeypatch):
    from cmqual import ingest

    serial = cmqual.read_corpus(SAMPLE, cmqual.IngestOptions(workers=1))
    monkeypatch.setattr(ingest, "fork_is_safe", lambda: False)
    spawned = cmqual.read_corpus(SAMPLE, cmqual.IngestOptions(workers=2))
    pd.testing.assert_frame_equal(spawned.segments, serial.segments)
    assert spawned.hash == serial.hash
