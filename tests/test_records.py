"""Records survive a writer killed mid-line, and the last word on each check wins."""

import json

from grader.records import Record, RecordWriter, final


def _record(nodeid, outcome):
    return Record("03_gather", nodeid, "title", nodeid, 0.0, 1.0, outcome, "", 0.0)


def test_final_keeps_results_over_collected_and_skips_a_torn_line(tmp_path):
    path = tmp_path / "records.jsonl"
    writer = RecordWriter(path)
    for nodeid in ("a", "b", "c"):
        writer.write(_record(nodeid, "collected"))
    writer.write(_record("a", "passed"))
    writer.write(_record("b", "failed"))
    writer.close()
    with path.open("a") as torn:
        torn.write(json.dumps(vars(_record("c", "passed")))[:40])
    latest = final(path)
    assert {k: r.outcome for k, r in latest.items()} == {"a": "passed", "b": "failed", "c": "collected"}


def test_missing_file_has_no_records(tmp_path):
    assert final(tmp_path / "absent.jsonl") == {}
