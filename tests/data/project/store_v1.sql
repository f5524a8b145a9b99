-- A schema-1 project store as cmqual 0.1.0 wrote it (sqlite3 .dump, plus user_version),
-- for the v1 -> v2 migration test in tests/test_store.py. Made with this folder's corpus
-- and codebook: alice codes p01 [60:85] and writes a memo on p01; through
-- cmqual.widget.rejections.add_rejections (as the coding widget's "reject" did) she
-- rejects two suggestions in p01, and bob rejects one in p02 twice: first on an edited
-- text of p02 (sha256 33a0...), then on the current one. The rejections are the document
-- memos of the pseudo-coders 'alice (rejected suggestions)' and 'bob (rejected
-- suggestions)', one JSON object per line. Last, cmqual.suggest.suggest(project, "alice")
-- runs: mini/resourcing has too few positives, so it stores no suggestion (an 'auto' action
-- of cmqual-suggest:alice replacing nothing) and writes its run record as the project memo
-- of the pseudo-coder 'cmqual-suggest:alice' (a header line, then the JSON).
PRAGMA user_version = 1;
BEGIN TRANSACTION;
CREATE TABLE actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    coder TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    created TEXT NOT NULL,
    undoable INTEGER NOT NULL CHECK (undoable IN (0, 1)),
    undone_by INTEGER REFERENCES actions (id)
);
INSERT INTO "actions" VALUES(1,'alice','code','{"code":"mini/resourcing","coding":1,"doc_id":"p01","end":85,"start":60}','2026-11-26T14:32:19.862573Z',1,NULL);
INSERT INTO "actions" VALUES(2,'alice','memo','{"target":"p01","target_kind":"document"}','2026-11-26T14:32:19.863368Z',1,NULL);
INSERT INTO "actions" VALUES(3,'alice (rejected suggestions)','memo','{"target":"p01","target_kind":"document"}','2026-11-26T14:32:19.871190Z',1,NULL);
INSERT INTO "actions" VALUES(4,'alice (rejected suggestions)','memo','{"target":"p01","target_kind":"document"}','2026-11-26T14:32:19.875341Z',1,NULL);
INSERT INTO "actions" VALUES(5,'bob (rejected suggestions)','memo','{"target":"p02","target_kind":"document"}','2026-11-26T14:32:19.891318Z',1,NULL);
INSERT INTO "actions" VALUES(6,'bob (rejected suggestions)','memo','{"target":"p02","target_kind":"document"}','2026-11-26T14:32:19.907853Z',1,NULL);
INSERT INTO "actions" VALUES(7,'cmqual-suggest:alice','auto','{"added":0,"codebook_hashes":["e2f03bffa396ba05cbe3ef35a3286fae090688a2bd02176d17c89fb01d74324e"],"origin":"suggestion","removed":0}','2026-11-26T14:32:19.948733Z',0,NULL);
INSERT INTO "actions" VALUES(8,'cmqual-suggest:alice','memo','{"target":"","target_kind":"project"}','2026-11-26T14:32:19.954481Z',1,NULL);
CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id INTEGER NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    tbl TEXT NOT NULL CHECK (tbl IN ('codings', 'memos')),
    row_id INTEGER NOT NULL,
    before TEXT,
    after TEXT
);
INSERT INTO "changes" VALUES(1,1,'codings',1,NULL,'{"code":"mini/resourcing","codebook_hash":"e2f03bffa396ba05cbe3ef35a3286fae090688a2bd02176d17c89fb01d74324e","coder":"alice","created":"2026-11-26T14:32:19.862273Z","doc_id":"p01","doc_sha256":"5269287a0e8483b98b801205996c79ae25b161c5bce72d1518ba9826ea834994","end_offset":85,"id":1,"level":"","memo":"","modified":"2026-11-26T14:32:19.862273Z","origin":"human","pattern":"","start_offset":60,"text":"There is no money for it."}');
INSERT INTO "changes" VALUES(2,2,'memos',1,NULL,'{"coder":"alice","created":"2026-11-26T14:32:19.863216Z","id":1,"modified":"2026-11-26T14:32:19.863216Z","target":"p01","target_kind":"document","text":"Check the date."}');
INSERT INTO "changes" VALUES(3,3,'memos',2,NULL,'{"coder":"alice (rejected suggestions)","created":"2026-11-26T14:32:19.870970Z","id":2,"modified":"2026-11-26T14:32:19.870970Z","target":"p01","target_kind":"document","text":"cmqual rejected suggestions, one JSON object per line\n{\"code\": \"mini/power\", \"end\": 119, \"sha256\": \"5269287a0e8483b98b801205996c79ae25b161c5bce72d1518ba9826ea834994\", \"start\": 107, \"text\": \"line manager\"}"}');
INSERT INTO "changes" VALUES(4,4,'memos',2,'{"coder":"alice (rejected suggestions)","created":"2026-11-26T14:32:19.870970Z","id":2,"modified":"2026-11-26T14:32:19.870970Z","target":"p01","target_kind":"document","text":"cmqual rejected suggestions, one JSON object per line\n{\"code\": \"mini/power\", \"end\": 119, \"sha256\": \"5269287a0e8483b98b801205996c79ae25b161c5bce72d1518ba9826ea834994\", \"start\": 107, \"text\": \"line manager\"}"}','{"coder":"alice (rejected suggestions)","created":"2026-11-26T14:32:19.870970Z","id":2,"modified":"2026-11-26T14:32:19.875187Z","target":"p01","target_kind":"document","text":"cmqual rejected suggestions, one JSON object per line\n{\"code\": \"mini/power\", \"end\": 119, \"sha256\": \"5269287a0e8483b98b801205996c79ae25b161c5bce72d1518ba9826ea834994\", \"start\": 107, \"text\": \"line manager\"}\n{\"code\": \"mini/power/assessment\", \"end\": 148, \"sha256\": \"5269287a0e8483b98b801205996c79ae25b161c5bce72d1518ba9826ea834994\", \"start\": 138, \"text\": \"assessment\"}"}');
INSERT INTO "changes" VALUES(5,5,'memos',3,NULL,'{"coder":"bob (rejected suggestions)","created":"2026-11-26T14:32:19.891167Z","id":3,"modified":"2026-11-26T14:32:19.891167Z","target":"p02","target_kind":"document","text":"cmqual rejected suggestions, one JSON object per line\n{\"code\": \"mini/power/assessment\", \"end\": 66, \"sha256\": \"33a03140a6b3711cd08aba5e1bc8778845b34835c8a478d12c0852ccc40b405e\", \"start\": 60, \"text\": \"graded\"}"}');
INSERT INTO "changes" VALUES(6,6,'memos',3,'{"coder":"bob (rejected suggestions)","created":"2026-11-26T14:32:19.891167Z","id":3,"modified":"2026-11-26T14:32:19.891167Z","target":"p02","target_kind":"document","text":"cmqual rejected suggestions, one JSON object per line\n{\"code\": \"mini/power/assessment\", \"end\": 66, \"sha256\": \"33a03140a6b3711cd08aba5e1bc8778845b34835c8a478d12c0852ccc40b405e\", \"start\": 60, \"text\": \"graded\"}"}','{"coder":"bob (rejected suggestions)","created":"2026-11-26T14:32:19.891167Z","id":3,"modified":"2026-11-26T14:32:19.907741Z","target":"p02","target_kind":"document","text":"cmqual rejected suggestions, one JSON object per line\n{\"code\": \"mini/power/assessment\", \"end\": 66, \"sha256\": \"33a03140a6b3711cd08aba5e1bc8778845b34835c8a478d12c0852ccc40b405e\", \"start\": 60, \"text\": \"graded\"}\n{\"code\": \"mini/power/assessment\", \"end\": 66, \"sha256\": \"a717e13ada010bf11f23e7970d38983e31f6c25fc3099bffbe46b837985375c7\", \"start\": 60, \"text\": \"graded\"}"}');
INSERT INTO "changes" VALUES(7,8,'memos',4,NULL,'{"coder":"cmqual-suggest:alice","created":"2026-11-26T14:32:19.954302Z","id":4,"modified":"2026-11-26T14:32:19.954302Z","target":"","target_kind":"project","text":"cmqual-suggest run record (JSON, written by cmqual.suggest; do not edit)\n{\n \"cmqual\": \"0.1.0\",\n \"coder\": \"alice\",\n \"models\": {\n  \"mini/resourcing\": {\n   \"calibration\": \"\",\n   \"level\": \"turn\",\n   \"model\": \"\",\n   \"n_negative\": 1,\n   \"n_positive\": 1,\n   \"n_rejected\": 0,\n   \"n_suggested\": 0,\n   \"patterns\": true,\n   \"random_state\": 0,\n   \"speakers\": \"participants\",\n   \"status\": \"too few positives (1 < 10)\",\n   \"threshold\": 0.5,\n   \"trained\": \"2026-11-26T14:32:19.954190Z\"\n  }\n },\n \"scikit-learn\": \"1.9.1\",\n \"updated\": \"2026-11-26T14:32:19.954190Z\"\n}"}');
CREATE TABLE codings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL CHECK (doc_id <> ''),
    doc_sha256 TEXT NOT NULL,
    start_offset INTEGER NOT NULL CHECK (start_offset >= 0),
    end_offset INTEGER NOT NULL CHECK (end_offset > start_offset),
    text TEXT NOT NULL,
    code TEXT NOT NULL CHECK (code <> ''),
    coder TEXT NOT NULL CHECK (coder <> ''),
    origin TEXT NOT NULL CHECK (origin IN ('human', 'auto', 'suggestion', 'suggestion-accepted')),
    memo TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT '',
    pattern TEXT NOT NULL DEFAULT '',
    codebook_hash TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
INSERT INTO "codings" VALUES(1,'p01','5269287a0e8483b98b801205996c79ae25b161c5bce72d1518ba9826ea834994',60,85,'There is no money for it.','mini/resourcing','alice','human','','','','e2f03bffa396ba05cbe3ef35a3286fae090688a2bd02176d17c89fb01d74324e','2026-11-26T14:32:19.862273Z','2026-11-26T14:32:19.862273Z');
CREATE TABLE memos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    coder TEXT NOT NULL CHECK (coder <> ''),
    target_kind TEXT NOT NULL CHECK (target_kind IN ('project', 'code', 'document')),
    target TEXT NOT NULL,
    text TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    UNIQUE (target_kind, target, coder)
);
INSERT INTO "memos" VALUES(1,'alice','document','p01','Check the date.','2026-11-26T14:32:19.863216Z','2026-11-26T14:32:19.863216Z');
INSERT INTO "memos" VALUES(2,'alice (rejected suggestions)','document','p01','cmqual rejected suggestions, one JSON object per line
{"code": "mini/power", "end": 119, "sha256": "5269287a0e8483b98b801205996c79ae25b161c5bce72d1518ba9826ea834994", "start": 107, "text": "line manager"}
{"code": "mini/power/assessment", "end": 148, "sha256": "5269287a0e8483b98b801205996c79ae25b161c5bce72d1518ba9826ea834994", "start": 138, "text": "assessment"}','2026-11-26T14:32:19.870970Z','2026-11-26T14:32:19.875187Z');
INSERT INTO "memos" VALUES(3,'bob (rejected suggestions)','document','p02','cmqual rejected suggestions, one JSON object per line
{"code": "mini/power/assessment", "end": 66, "sha256": "33a03140a6b3711cd08aba5e1bc8778845b34835c8a478d12c0852ccc40b405e", "start": 60, "text": "graded"}
{"code": "mini/power/assessment", "end": 66, "sha256": "a717e13ada010bf11f23e7970d38983e31f6c25fc3099bffbe46b837985375c7", "start": 60, "text": "graded"}','2026-11-26T14:32:19.891167Z','2026-11-26T14:32:19.907741Z');
INSERT INTO "memos" VALUES(4,'cmqual-suggest:alice','project','','cmqual-suggest run record (JSON, written by cmqual.suggest; do not edit)
{
 "cmqual": "0.1.0",
 "coder": "alice",
 "models": {
  "mini/resourcing": {
   "calibration": "",
   "level": "turn",
   "model": "",
   "n_negative": 1,
   "n_positive": 1,
   "n_rejected": 0,
   "n_suggested": 0,
   "patterns": true,
   "random_state": 0,
   "speakers": "participants",
   "status": "too few positives (1 < 10)",
   "threshold": 0.5,
   "trained": "2026-11-26T14:32:19.954190Z"
  }
 },
 "scikit-learn": "1.9.1",
 "updated": "2026-11-26T14:32:19.954190Z"
}','2026-11-26T14:32:19.954302Z','2026-11-26T14:32:19.954302Z');
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO "meta" VALUES('created_by','cmqual 0.1.0');
INSERT INTO "meta" VALUES('created','2026-11-26T14:32:19.586567Z');
CREATE TABLE positions (
    coder TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    segment_id TEXT NOT NULL,
    start_offset INTEGER,
    modified TEXT NOT NULL
);
CREATE INDEX codings_coder ON codings (coder, doc_id);
CREATE INDEX codings_doc ON codings (doc_id, start_offset);
CREATE INDEX codings_code ON codings (code);
CREATE INDEX codings_auto ON codings (origin, coder, codebook_hash);
CREATE UNIQUE INDEX codings_unique_human
    ON codings (coder, code, doc_id, start_offset, end_offset, doc_sha256)
    WHERE origin IN ('human', 'suggestion-accepted');
CREATE INDEX actions_coder ON actions (coder, id);
CREATE INDEX changes_action ON changes (action_id);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('codings',1);
INSERT INTO "sqlite_sequence" VALUES('actions',8);
INSERT INTO "sqlite_sequence" VALUES('changes',7);
INSERT INTO "sqlite_sequence" VALUES('memos',4);
COMMIT;
