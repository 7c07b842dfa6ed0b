"""Figures for README.md: what one remote run costs, and whether repeated runs see the same.

    python measure.py [REPEATS]
"""

import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the kit
from grader.probes import Probe  # noqa: E402
from grader.remote.forkserver import ForkServer  # noqa: E402
from grader.remote.judge import run_remote  # noqa: E402

SOURCE = textwrap.dedent("""
    import asyncio

    async def trivial():
        return 1

    async def many(fetch, items):
        return await asyncio.gather(*(fetch(item) for item in items))

    async def mixed(fetch, items):
        results = []
        async with asyncio.TaskGroup() as group:
            for item in items:
                group.create_task(asyncio.wait_for(fetch(item), 3.5)).add_done_callback(
                    lambda task: results.append(task.exception() or task.result()))
                await asyncio.sleep(0.25)
        return [repr(r) for r in results]
""")


def fingerprint(run, probe):
    events = [(e.kind, e.item, round(e.at, 6)) for e in probe.events] if probe else []
    return repr((run.value, type(run.error).__name__, round(run.loop_time, 6), run.leaked, events))


ITEMS = [f"item-{n}" for n in range(50, 0, -1)]


def five_of(item: str) -> float:
    return 1.0 + int(item.split("-")[1]) % 5


def scenarios():
    yield "50 fetches, 5 end times", lambda: Probe(delay=five_of), "many", ITEMS
    staggered = ["ab", "abcd", "a", "abcdef", "abc"]
    yield "staggered, some time out", lambda: Probe(delay=lambda item: float(len(item))), "mixed", staggered


def main(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "learner.py"
        path.write_text(SOURCE)
        for name, make, function, items in scenarios():
            seen = set()
            for _ in range(repeats):
                probe = make()
                seen.add(fingerprint(run_remote(path, function, (probe, items)), probe))
            print(f"{name}: {len(seen)} distinct observation(s) in {repeats} runs")
            if function == "many":
                many_seen = seen
        costs = [run_remote(path, "trivial", ()).real_time for _ in range(repeats * 3)]
        with ForkServer() as server:
            forked = [run_remote(path, "trivial", (), server=server).real_time for _ in range(repeats * 3)]
            probe = Probe(delay=five_of)
            forked_many = run_remote(path, "many", (probe, ITEMS), server=server)
            same = fingerprint(forked_many, probe) in many_seen
    starts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", "import asyncio, json, selectors, socket"], check=True)
        starts.append(time.perf_counter() - t0)
    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"

    print(f"run_remote of a trivial coroutine ({len(costs)} runs): {ms(costs)}")
    print(f"the same, forked from a fork server ({len(forked)} runs): {ms(forked)}; "
          f"ratio of medians {statistics.median(costs) / statistics.median(forked):.1f}x")
    print(f"50 fetches, forked: the same observation as started: {same}")
    print(f"bare `python -I -c 'import asyncio, ...'` ({len(starts)} runs): {ms(starts)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
