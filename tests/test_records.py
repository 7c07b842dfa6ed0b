"""Records survive a writer killed mid-line, and the last word on each check wins."""

import json

from grader import messages
from grader.records import Record, RecordWriter, Tally, final


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


def test_a_check_reported_twice_fails_as_tampered(tmp_path):
    """The grader writes one result per check: a second one (a forged pass after a real failure)
    fails that check with the message that voids its exercise."""
    path = tmp_path / "records.jsonl"
    writer = RecordWriter(path, key=b"k" * 32)
    for outcome in ("collected", "failed", "passed"):
        writer.write(_record("a", outcome))
    writer.write(_record("b", "collected"))
    writer.write(_record("b", "passed"))
    writer.close()
    latest = final(path, key=b"k" * 32)
    assert latest["a"].outcome == "failed" and latest["a"].message.startswith(messages.TAMPERED_START)
    assert latest["b"].outcome == "passed"


def test_a_tally_counts_signed_records_as_they_come_and_reads_each_byte_once(tmp_path):
    """What the stall watch counts: lines that are not records (junk, unsigned, a line torn mid-write
    until it is finished) do not count, and the bytes already read are not read again."""
    path, key = tmp_path / "records.jsonl", b"k" * 32
    writer = RecordWriter(path, key=key)
    tally = Tally(path, key)
    assert tally.update() == 0
    writer.write(_record("a", "collected"))
    with path.open("a") as learner:
        learner.write("{\n" * 100_000 + json.dumps(vars(_record("a", "passed"))) + "\n")  # junk, then unsigned
    assert tally.update() == 1
    line = path.read_text().splitlines()[0]
    with path.open("a") as torn:
        torn.write(line[:30])
    assert tally.update() == 1
    with path.open("a") as torn:
        torn.write(line[30:] + "\n")
    assert tally.update() == 2
    assert tally._read == path.stat().st_size and tally.update() == 2


def test_a_result_copied_again_changes_nothing_and_junk_is_skipped(tmp_path):
    """A later exercise's code can copy an earlier one's signed line (no key needed) or append junk:
    a line of 100,000 "[" (too deep for json), millions of short lines. The copy is the same word
    again, the junk no record, and both Tally and final go on."""
    path = tmp_path / "records.jsonl"
    key = b"k" * 32
    writer = RecordWriter(path, key=key)
    writer.write(_record("a", "collected"))
    writer.write(_record("a", "passed"))
    writer.close()
    signed = path.read_bytes().splitlines()[-1]
    with path.open("ab") as junk:
        junk.write(b"[" * 100_000 + b"\n" + b"\n" * 2_000_000 + b"{x}\n" + signed + b"\n")
    assert Tally(path, key).update() == 3
    assert {k: (r.outcome, r.message) for k, r in final(path, key).items()} == {"a": ("passed", "")}
