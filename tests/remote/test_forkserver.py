"""The fork server: what a forked learner process sees, and a learner that kills the server."""

import os
import textwrap

from grader.probes import Probe
from grader.remote.forkserver import SERVER_GONE, ForkServer
from grader.remote.judge import run_remote


def write(tmp_path, source):
    path = tmp_path / "learner.py"
    path.write_text("import asyncio, os, sys\n" + textwrap.dedent(source))
    return path


def test_a_forked_learner_sees_a_minimal_environment_and_a_fixed_hash_seed(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGE_SECRET", "s3cret")
    path = write(tmp_path, """
        async def peek():
            return sorted(os.environ), hash("awaitlings"), "grader.probes" in sys.modules, "looptime" in sys.modules
    """)
    with ForkServer() as server:
        first = run_remote(path, "peek", (), server=server)
        second = run_remote(path, "peek", (), server=server)
    names, seed, grader, looptime = first.value
    assert "JUDGE_SECRET" not in names and "PYTHONHASHSEED" in names
    assert not grader and not looptime  # the server imports no judge module
    assert second.value == first.value
    started = run_remote(path, "peek", ())
    assert "JUDGE_SECRET" in started.value[0]  # a started child inherits the judge's environment


def test_a_learner_that_kills_the_server_costs_nothing_but_its_exit_code(tmp_path):
    path = write(tmp_path, """
        async def fetch_all(fetch, items, kill):
            if kill:
                os.kill(os.getppid(), 9)
            return [await fetch(item) for item in items]
    """)
    with ForkServer() as server:
        first_server = server.process.pid
        fetch = Probe(delay=1.0)
        killer = run_remote(path, "fetch_all", (fetch, ["a", "b"], True), server=server)
        assert killer.value == ["result of a", "result of b"] and round(killer.loop_time, 6) == 2.0
        assert killer.ended_early is None
        after = run_remote(path, "fetch_all", (Probe(delay=1.0), ["c"], False), server=server)
        assert after.value == ["result of c"]
        assert server.process.pid != first_server  # started again
        assert SERVER_GONE < 0


def test_a_forked_learner_and_what_it_started_are_gone_after_the_run(tmp_path):
    path = write(tmp_path, """
        import subprocess

        async def spawn():
            child = subprocess.Popen(["sleep", "60"])
            return os.getpid(), child.pid
    """)
    with ForkServer() as server:
        run = run_remote(path, "spawn", (), server=server)
    learner, grandchild = run.value
    for pid in (learner, grandchild):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        with open(f"/proc/{pid}/stat") as stat:
            assert stat.read().split()[2] == "Z", f"{pid} still runs"
