"""Visible tests of exercise 11. Run them with: pytest exercises/11_blocking_calls

Your coroutines run on a virtual-time event loop that fails on any blocking call made on
its thread (time.sleep, requests, a file read...). The blocking pieces are fakes:

- `is_ready()` turns True at a set loop time;
- `fetch_stock` asks a real aiohttp server on 127.0.0.1, running in your own event loop;
- `legacy_lookup(key)` notes which thread ran it; the calls made in worker threads wait
  for each other (a barrier), so they only finish if they all run at the same time.
"""

import asyncio
import contextlib
import threading

import aiohttp
from aiohttp import web

from grader.failure import CheckFailed

TO_THREAD = "Run it in a worker thread and await it: `await asyncio.to_thread(legacy_lookup, key)`."


def test_wait_until_ready_pauses_without_blocking(learner):
    """wait_until_ready(is_ready, 1) checks at 0, 1, 2 and 3 s and returns 4 when ready at 2.5 s"""
    checked = []

    async def scenario(wait_until_ready):
        loop = asyncio.get_running_loop()

        def is_ready():
            checked.append(round(loop.time(), 3))
            return loop.time() >= 2.5

        return await wait_until_ready(is_ready, 1.0)

    call = learner.run_scenario(
        "wait_until_ready", scenario, text="wait_until_ready(is_ready, 1.0)"
    )
    got = call.result()
    if checked != [0.0, 1.0, 2.0, 3.0] or got != 4:
        raise CheckFailed(
            f"Called {call.text}, where is_ready() turns True at 2.5 s. It called is_ready() at {checked} s of loop "
            f"time and returned {got!r}; expected calls at [0.0, 1.0, 2.0, 3.0] s and 4 returned.",
            "Check first, then pause `await asyncio.sleep(interval)` before each new check, and count the checks.",
        )


async def stock_page(request):
    if request.headers.get("X-Given") != "yes":
        return web.json_response(
            {"error": "use the session you were given"}, status=400
        )
    return web.json_response({"item": request.match_info["item"], "in_stock": 12})


@contextlib.asynccontextmanager
async def stock_server():
    """A server on 127.0.0.1 in the running loop, and the session handed to fetch_stock."""
    app = web.Application()
    app.router.add_get("/stock/{item}", stock_page)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with aiohttp.ClientSession(headers={"X-Given": "yes"}) as session:
            yield session, f"http://127.0.0.1:{runner.addresses[0][1]}/stock/kiwi"
    finally:
        await runner.cleanup()


def test_fetch_stock_returns_in_stock(learner):
    """fetch_stock(session, url) returns the "in_stock" of the JSON page, fetched with that session"""

    async def scenario(fetch_stock):
        async with stock_server() as (session, url):
            return await fetch_stock(session, url)

    call = learner.run_scenario(
        "fetch_stock",
        scenario,
        text="fetch_stock(session, 'http://127.0.0.1:PORT/stock/kiwi')",
    )
    got = call.result()
    if got != 12:
        raise CheckFailed(
            f'Called {call.text}, whose page is {{"item": "kiwi", "in_stock": 12}}. It returned {got!r}; '
            "expected 12.",
            "Use the session you are given: `async with session.get(url) as response:`, then "
            '`data = await response.json()` and return `data["in_stock"]`.',
        )


def test_read_settings_returns_the_settings(learner, tmp_path):
    """read_settings(path) returns parse_settings of the file's text"""
    path = tmp_path / "shop.conf"
    path.write_text("# shop\ncurrency = EUR\nopen = 08:00\n", encoding="utf-8")
    call = learner.run("read_settings", path)
    got = call.result()
    wanted = {"currency": "EUR", "open": "08:00"}
    if got != wanted:
        raise CheckFailed(
            f"Called read_settings(path). It returned {got!r}; expected {wanted!r}.",
            'Read the text without blocking (`await asyncio.to_thread(path.read_text, encoding="utf-8")`), '
            "then `return parse_settings(text)`.",
        )


class LegacyLookup:
    """legacy_lookup(key): notes its thread; in worker threads, all calls wait for each other."""

    __name__ = "legacy_lookup"

    def __init__(self, count):
        self.barrier = threading.Barrier(count, timeout=1.0)
        self.loop_thread = (
            threading.get_ident()
        )  # set again by the scenario, on the loop's thread
        self.on_loop = []
        self.alone = []

    def __call__(self, key):
        if threading.get_ident() == self.loop_thread:
            self.on_loop.append(key)
        else:
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                self.alone.append(key)
        return key.upper()


def test_lookup_all_runs_lookups_in_threads_at_once(learner):
    """lookup_all runs 3 legacy_lookup calls in worker threads, all at the same time, results in order"""
    keys = ["kiwi", "fig", "pear"]
    lookup = LegacyLookup(len(keys))

    async def scenario(lookup_all):
        lookup.loop_thread = threading.get_ident()
        return await lookup_all(lookup, keys)

    call = learner.run_scenario(
        "lookup_all",
        scenario,
        text="lookup_all(legacy_lookup, ['kiwi', 'fig', 'pear'])",
    )
    if lookup.on_loop:
        raise CheckFailed(
            f"Called {call.text}. legacy_lookup({lookup.on_loop[0]!r}) ran on the event loop's own thread: a "
            "blocking call there freezes the loop until it returns (an `async def` around it changes nothing).",
            TO_THREAD,
        )
    got = call.result()
    if lookup.alone:
        raise CheckFailed(
            f"Called {call.text}. The lookups ran in worker threads, but not all at the same time: each waited 1 s "
            "for the others to start.",
            "Start them all before awaiting any: "
            "`await asyncio.gather(*(asyncio.to_thread(legacy_lookup, key) for key in keys))`.",
        )
    if got != ["KIWI", "FIG", "PEAR"]:
        raise CheckFailed(
            f"Called {call.text}. It returned {got!r}; expected ['KIWI', 'FIG', 'PEAR'], in the order of keys."
        )
