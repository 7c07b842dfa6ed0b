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
from concurrent.futures import ThreadPoolExecutor

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


def test_wait_until_ready_leaves_no_task_running(learner):
    """wait_until_ready returns with nothing of its own still running (no poller task left behind)"""

    async def scenario(wait_until_ready):
        loop = asyncio.get_running_loop()
        return await wait_until_ready(lambda: loop.time() >= 0.5, 0.2)

    call = learner.run_scenario("wait_until_ready", scenario, text="wait_until_ready(is_ready, 0.2)")
    call.result()
    if call.run.leaked:
        raise CheckFailed(
            f"Called {call.text}, where is_ready() turns True at 0.5 s. It returned while {len(call.run.leaked)} "
            f"task(s) it started were still running ({', '.join(call.run.leaked)}); expected nothing left running: "
            "left behind, a task goes on checking and pausing after the answer was given.",
            "No task is needed: check and pause in wait_until_ready itself, `while not is_ready(): await "
            "asyncio.sleep(interval)`. A task you do start must be awaited or cancelled before returning.",
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


def test_fetch_stock_leaves_the_session_open(learner):
    """fetch_stock(session, url) leaves the session it is given open: it belongs to the caller"""
    closed = []

    async def scenario(fetch_stock):
        async with stock_server() as (session, url):
            try:
                return await fetch_stock(session, url)
            finally:
                closed.append(session.closed)

    call = learner.run_scenario(
        "fetch_stock",
        scenario,
        text="fetch_stock(session, 'http://127.0.0.1:PORT/stock/kiwi')",
    )
    call.result()
    if closed != [False]:
        raise CheckFailed(
            f"Called {call.text}. When it returned, the session it was given was closed; expected it still open: "
            "the session belongs to the caller, who goes on using it for other requests and closes it once, at "
            "the end. (`async with session:` or session.close() closes it on the way out.)",
            "Open only the response: `async with session.get(url) as response:`, not `async with session`.",
        )


class LegacyLookup:
    """legacy_lookup(key): notes its thread. In worker threads the calls wait for each other to
    start (a barrier), then for the event loop to run a callback (so they cannot finish while
    your coroutine holds the loop's thread), then finish last key first."""

    __name__ = "legacy_lookup"
    CAP = 1.0  # s of real time a call waits for the others or for the loop: only wrong code waits it out

    def __init__(self, keys):
        self.keys = list(keys)
        self.barrier = threading.Barrier(len(keys), timeout=self.CAP)
        self.loop = None  # set by the scenario, on the loop's thread
        self.loop_thread = threading.get_ident()  # set again by the scenario
        self.on_loop = []
        self.alone = []
        self.held = []  # calls that waited in vain for the loop to run
        self.finished = set()
        self.changed = threading.Condition()
        self.all_done = threading.Event()

    def __call__(self, key):
        if threading.get_ident() == self.loop_thread:
            self.on_loop.append(key)
            return key.upper()
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            self.alone.append(key)
        ticked = threading.Event()
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to wait for
            self.loop.call_soon_threadsafe(ticked.set)
        if not ticked.wait(self.CAP):
            self.held.append(key)
        try:
            if not self.alone and not self.held and key in self.keys:
                later = set(self.keys[self.keys.index(key) + 1:])
                with self.changed:
                    self.changed.wait_for(lambda: later <= self.finished, timeout=self.CAP)
        finally:
            with self.changed:
                self.finished.add(key)
                self.changed.notify_all()
                if len(self.finished) >= len(set(self.keys)):
                    self.all_done.set()
        return key.upper()


def started_pool(threads):
    """A default executor whose threads are already running (started outside the loop: starting
    a thread inside a loop step takes time that could pass for a held loop)."""
    pool = ThreadPoolExecutor(max_workers=threads)
    together = threading.Barrier(threads + 1, timeout=5.0)
    for _ in range(threads):
        pool.submit(together.wait)
    with contextlib.suppress(threading.BrokenBarrierError):
        together.wait()
    return pool


def test_lookup_all_runs_lookups_in_threads_at_once(learner):
    """lookup_all runs 10 legacy_lookup calls in worker threads, all at the same time, results in the order of keys"""
    keys = ["kiwi", "fig", "pear", "plum", "lime", "date", "mango", "apple", "melon", "quince"]
    lookup = LegacyLookup(keys)
    pool = started_pool(len(keys) + 1)

    async def scenario(lookup_all):
        loop = asyncio.get_running_loop()
        loop.set_default_executor(pool)
        lookup.loop, lookup.loop_thread = loop, threading.get_ident()
        # a thread waiting for the lookups: while it waits, virtual time follows real time in small
        # steps (also when your code awaits futures of a pool of its own, which the loop cannot see)
        in_step = loop.run_in_executor(None, lookup.all_done.wait, 3 * LegacyLookup.CAP)
        try:
            return await lookup_all(lookup, keys)
        finally:
            lookup.all_done.set()
            await in_step

    text = f"lookup_all(legacy_lookup, {keys})"
    try:
        call = learner.run_scenario("lookup_all", scenario, text=text)
    finally:
        pool.shutdown(wait=False)
    if lookup.on_loop:
        raise CheckFailed(
            f"Called {call.text}. legacy_lookup({lookup.on_loop[0]!r}) ran on the event loop's own thread: a "
            "blocking call there freezes the loop until it returns (an `async def` around it changes nothing).",
            TO_THREAD,
        )
    got = call.result()
    if lookup.held:
        raise CheckFailed(
            f"Called {call.text}. The lookups ran in worker threads, but the event loop did not run while they "
            "worked: lookup_all held the loop's thread, waiting for them (a future.result(), "
            "concurrent.futures.wait(), a loop checking future.done(), the end of a `with ThreadPoolExecutor()` "
            "block). Waiting on the loop's thread blocks it as much as the call itself.",
            "Await the work instead: `await asyncio.to_thread(legacy_lookup, key)`, or `await "
            "asyncio.wrap_future(future)` for a future of your own pool.",
        )
    if lookup.alone:
        raise CheckFailed(
            f"Called {call.text}. The lookups ran in worker threads, but not all at the same time: each waited 1 s "
            "for the others to start.",
            "Start them all before awaiting any: "
            "`await asyncio.gather(*(asyncio.to_thread(legacy_lookup, key) for key in keys))`.",
        )
    wanted = [key.upper() for key in keys]
    if not (type(got) is list and len(got) == len(wanted) and all(type(g) is str and g == w for g, w in zip(got, wanted))):
        in_another_order = isinstance(got, (list, tuple)) and sorted(map(str, got)) == sorted(wanted)
        raise CheckFailed(
            f"Called {call.text}, where the lookups finish last key first. It returned {got!r}; expected {wanted}, "
            "in the order of keys.",
            "asyncio.gather returns the results in the order you pass the awaitables, whatever order they finish "
            "in (a set, like asyncio.wait's done set, has no order at all)." if in_another_order else None,
        )
