import time

import pandas as pd

from cmqual.io.tables import read_table, write_table


def test_xlsx_is_byte_identical_when_saved_seconds_apart(tmp_path):
    # openpyxl stamps the time of saving (2-second resolution in the zip entries)
    frame = pd.DataFrame({"doc_id": ["a", "b"], "start": [0, 5], "text": ["=1+1", "x"]})
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_table(frame, first)
    time.sleep(2.1)
    write_table(frame, second)
    assert first.read_bytes() == second.read_bytes()
    assert read_table(first)["doc_id"].tolist() == ["a", "b"]
