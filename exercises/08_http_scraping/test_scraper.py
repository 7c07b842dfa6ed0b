"""Visible tests of exercise 08. Run them with: pytest exercises/08_http_scraping

Two kinds of server answer your requests, both inside your own event loop:

- aioresponses fakes the answers of http://shop.test/... (a status, a body, a refused
  connection) without any network;
- a real aiohttp server on 127.0.0.1 counts how many of your requests it is serving at once.

Time is *virtual* loop time: a page that "takes 1 s" costs no real time, and
"20 pages, 5 at a time, take 4 s" is an exact measurement.
"""

import asyncio
import contextlib
import traceback

import aiohttp
from aiohttp import web
from aioresponses import aioresponses

from grader.failure import CheckFailed


def check(condition, call, saw, expected, advice=None):
    if not condition:
        raise CheckFailed(f"Called {call.text}. Saw {saw}; expected {expected}.", advice)


def call_fetch_page(learner, url, timeout, **answer):
    """fetch_page(session, url, timeout) with aioresponses answering `url` as told."""

    async def scenario(fetch_page):
        with aioresponses() as mocked:
            mocked.get(url, **answer)
            async with aiohttp.ClientSession() as session:
                return await fetch_page(session, url, timeout)

    return learner.run_scenario("fetch_page", scenario, text=f"fetch_page(session, {url!r}, {timeout})")


class CountingServer:
    """A real aiohttp server on 127.0.0.1: every page takes `delay` s (or `delays[name]`); it notes
    the peak in flight and when each page started (loop time)."""

    def __init__(self, delay=1.0, delays=None):
        self.delay = delay
        self.delays = delays or {}
        self.in_flight = 0
        self.peak = 0
        self.spans = {}  # name: [start, end] in loop time (end None while it runs)

    async def page(self, request):
        name = request.match_info["name"]
        loop = asyncio.get_running_loop()
        span = self.spans[name] = [loop.time(), None]
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delays.get(name, self.delay))
        finally:
            self.in_flight -= 1
            span[1] = loop.time()
        return web.Response(text=f"page {name}")

    def idle_place(self, limit):
        """The first moment, before the last request started, with fewer than `limit` requests
        in flight (and how many there were), or None when every place was always taken."""
        if not self.spans:
            return None
        last = max(start for start, _ in self.spans.values())
        moments = sorted({t for span in self.spans.values() for t in span if t is not None})
        for moment in moments:
            if moment >= last - 1e-6:
                return None
            in_flight = sum(1 for start, end in self.spans.values() if start <= moment + 1e-6 and (end is None or end > moment + 1e-6))
            if in_flight < limit:
                return moment, in_flight
        return None

    @contextlib.asynccontextmanager
    async def running(self):
        app = web.Application()
        app.router.add_get("/{name}", self.page)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}"
        finally:
            await runner.cleanup()


def test_fetch_page_returns_status_and_body(learner):
    """fetch_page returns {'url': url, 'status': 200, 'body': ...} for a page"""
    url = "http://shop.test/kiwi"
    call = call_fetch_page(learner, url, 10, status=200, body="<h1>Kiwi</h1>")
    got = call.result()
    wanted = {"url": url, "status": 200, "body": "<h1>Kiwi</h1>"}
    check(got == wanted, call, f"the result {got!r}", repr(wanted))


def test_fetch_page_keeps_error_statuses(learner):
    """fetch_page records a 404 as {'url', 'status': 404, 'body'}, without raising"""
    url = "http://shop.test/durian"
    call = call_fetch_page(learner, url, 10, status=404, body="No such fruit")
    got = call.result()
    wanted = {"url": url, "status": 404, "body": "No such fruit"}
    check(got == wanted, call, f"the result {got!r}", repr(wanted), "A 404 is an answer: don't call raise_for_status().")


def test_fetch_page_records_a_refused_connection(learner):
    """fetch_page records a refused connection as {'url': url, 'error': <the exception>}"""
    url = "http://shop.test/mango"
    call = call_fetch_page(learner, url, 10, exception=aiohttp.ClientConnectionError("refused"))
    got = call.result()
    check(
        isinstance(got, dict) and set(got) == {"url", "error"} and isinstance(got["error"], aiohttp.ClientConnectionError),
        call,
        f"the result {got!r}",
        f"{{'url': {url!r}, 'error': <the ClientConnectionError>}}",
        "Catch it: `except (aiohttp.ClientError, asyncio.TimeoutError) as error:`.",
    )


def test_fetch_pages_keeps_to_the_limit(learner):
    """fetch_pages with limit 3 keeps 3 requests in flight: 10 pages of 1 s take 4 s"""
    server = CountingServer(delay=1.0)
    took = []

    async def scenario(fetch_pages):
        async with server.running() as base:
            urls = [f"{base}/p{n}" for n in range(10)]
            loop = asyncio.get_running_loop()
            start = loop.time()
            results = await fetch_pages(urls, 3, 10)
            took.append(loop.time() - start)
            return [r.get("status") if isinstance(r, dict) else r for r in results]

    call = learner.run_scenario("fetch_pages", scenario, text="fetch_pages([10 local URLs], 3, 10)")
    statuses = call.result()
    check(statuses == [200] * 10, call, f"the statuses {statuses}", "ten times 200")
    check(server.peak == 3, call, f"at most {server.peak} requests at the server at once", "3 (the limit)",
          "Share one asyncio.Semaphore(limit) between all the fetches.")
    check(abs(took[0] - 4.0) < 1e-6, call, f"{took[0]:g} s of loop time", "4 s (3 at a time)")


def test_fetch_pages_closes_its_session(learner):
    """fetch_pages opens one ClientSession and closes it before returning"""
    sessions = []
    original = aiohttp.ClientSession.__init__

    def noted(session, *args, **kwargs):
        original(session, *args, **kwargs)
        sessions.append(session)

    async def scenario(fetch_pages):
        with aioresponses() as mocked:
            for name in ("kiwi", "fig"):
                mocked.get(f"http://shop.test/{name}", body=name)
            aiohttp.ClientSession.__init__ = noted
            try:
                await fetch_pages(["http://shop.test/kiwi", "http://shop.test/fig"], None, 10)
            finally:
                aiohttp.ClientSession.__init__ = original
                still_open = [s for s in sessions if not s.closed]
                for session in still_open:
                    await session.close()
            return len(still_open)

    call = learner.run_scenario("fetch_pages", scenario, text="fetch_pages(['http://shop.test/kiwi', 'http://shop.test/fig'], None, 10)")
    left_open = call.result()
    check(len(sessions) == 1, call, f"{len(sessions)} ClientSession(s) made", "exactly one, shared by every request")
    check(left_open == 0, call, "its session still open when it returned (\"Unclosed client session\")", "it closed",
          "`async with aiohttp.ClientSession() as session:` closes it at the end of the block.")


CATCH_BOTH = "Catch both: `except (aiohttp.ClientError, asyncio.TimeoutError) as error: return {\"url\": url, \"error\": error}`."
PER_REQUEST_TIMEOUT = (
    "Give each request its own time limit inside fetch_page: "
    "`session.get(url, timeout=aiohttp.ClientTimeout(total=timeout))`, or `async with asyncio.timeout(timeout):` "
    "around the request, and catch the TimeoutError there."
)


def names_of(results):
    """The page names ('p3', ...) of a list of result dicts, in the order they came back."""
    if not isinstance(results, list):
        return results
    return [r["url"].rsplit("/", 1)[-1] if isinstance(r, dict) and isinstance(r.get("url"), str) else r for r in results]


def one_per_url(got, names):
    """One result for each page name, in any order (the order has its own test)."""
    return isinstance(got, list) and sorted(map(str, got)) == sorted(names)


def call_fetch_pages(learner, server, names, limit, timeout):
    """fetch_pages([URLs of `server` for `names`], limit, timeout); notes its loop time and the
    tasks of yours still running when it returned."""
    seen = {}

    async def scenario(fetch_pages):
        async with server.running() as base:
            loop = asyncio.get_running_loop()
            before = asyncio.all_tasks()
            start = loop.time()
            try:
                return await fetch_pages([f"{base}/{name}" for name in names], limit, timeout)
            finally:
                seen["took"] = loop.time() - start
                seen["tasks"] = sorted(
                    task.get_coro().__qualname__ + "()"
                    for task in asyncio.all_tasks() - before
                    if not task.done() and getattr(getattr(task.get_coro(), "cr_code", None), "co_filename", None) in learner.files
                )

    text = f"fetch_pages([{len(names)} local URLs], {limit}, {timeout:g})"
    return learner.run_scenario("fetch_pages", scenario, text=text), seen


def test_fetch_page_gives_up_after_its_timeout(learner):
    """fetch_page gives up on a page that takes 60 s after its 2 s timeout: {'url': url, 'error': <the TimeoutError>}"""
    server = CountingServer(delay=60.0)
    took = []

    async def scenario(fetch_page):
        async with server.running() as base:
            async with aiohttp.ClientSession() as session:
                loop = asyncio.get_running_loop()
                start = loop.time()
                try:
                    return await fetch_page(session, f"{base}/slow", 2)
                finally:
                    took.append(loop.time() - start)

    call = learner.run_scenario("fetch_page", scenario, text="fetch_page(session, 'http://127.0.0.1:PORT/slow', 2), where the page takes 60 s")
    error = call.run.error
    check(
        not isinstance(error, asyncio.TimeoutError),
        call,
        f"it raise {type(error).__name__} after {took[0]:g} s: the timeout worked, but nothing caught it",
        "{'url': url, 'error': <the TimeoutError>}, returned, not raised",
        "A timeout is not an aiohttp.ClientError. " + CATCH_BOTH,
    )
    got = call.result()
    check(
        not (isinstance(got, dict) and "status" in got),
        call,
        f"it wait for the page and return {got!r} after {took[0]:g} s: the 2 s timeout never applied",
        "it to give up at 2 s and return {'url': url, 'error': <the TimeoutError>}",
        PER_REQUEST_TIMEOUT,
    )
    caught = got.get("error") if isinstance(got, dict) else None
    check(
        not isinstance(caught, asyncio.CancelledError),
        call,
        f"the result {got!r}: it caught the CancelledError the timeout uses to stop the request",
        "{'url': url, 'error': <the TimeoutError>}",
        "Don't catch BaseException (or CancelledError) inside `async with asyncio.timeout(...)`: the timeout "
        "cancels the request, and turns that cancellation into TimeoutError where the block ends. "
        + CATCH_BOTH,
    )
    check(
        isinstance(got, dict) and set(got) == {"url", "error"} and isinstance(caught, asyncio.TimeoutError)
        and abs(took[0] - 2.0) < 1e-6,
        call,
        f"the result {got!r} after {took[0]:g} s of loop time",
        "{'url': url, 'error': <the TimeoutError>} after 2 s",
        PER_REQUEST_TIMEOUT,
    )


def test_fetch_pages_keeps_the_order_of_the_urls(learner):
    """fetch_pages returns the results in the order of the URLs, not the order the pages arrived (10 pages)"""
    delays = {"p3": 3.0, "p1": 1.0, "p7": 2.0, "p0": 0.5, "p9": 2.5, "p4": 1.5, "p2": 0.25, "p8": 2.75, "p5": 1.25, "p6": 0.75}
    server = CountingServer(delays=delays)
    names = list(delays)
    call, _ = call_fetch_pages(learner, server, names, None, 10)
    got = names_of(call.result())
    arrived = sorted(names, key=delays.__getitem__)
    how = "the order the pages arrived" if got == arrived else "another order"
    check(
        got == names,
        call,
        f"the results in {how}, {got}",
        f"the order of the URLs, {names}",
        "asyncio.gather returns its results in the order you pass the awaitables, whatever order they finish in "
        "(a set, like asyncio.wait's done set, has no order at all).",
    )


def test_fetch_pages_without_limit_sends_all_at_once(learner):
    """fetch_pages with limit None sends all 10 requests at once: 10 pages of 1 s take 1 s"""
    server = CountingServer(delay=1.0)
    names = [f"p{n}" for n in range(10)]
    call, seen = call_fetch_pages(learner, server, names, None, 10)
    got = names_of(call.result())
    check(one_per_url(got, names), call, f"the results for {got}", f"one per URL, {names}")
    check(
        server.peak == 10 and abs(seen["took"] - 1.0) < 1e-6,
        call,
        f"at most {server.peak} request(s) at the server at once, {seen['took']:g} s of loop time",
        "all 10 at once, 1 s (limit None means no limit)",
        "Limit only when a limit is given (`asyncio.Semaphore(limit) if limit else None`) and start every fetch "
        "together: `await asyncio.gather(*(fetch_page(session, url, timeout) for url in urls))`.",
    )


def test_fetch_pages_starts_the_next_page_as_one_finishes(learner):
    """With limit 3, fetch_pages starts the next request as soon as one finishes: a 3 s page and five 1 s pages take 3 s"""
    delays = {"a": 3.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0, "f": 1.0}
    server = CountingServer(delays=delays)
    names = list(delays)
    call, seen = call_fetch_pages(learner, server, names, 3, 10)
    got = names_of(call.result())
    check(one_per_url(got, names), call, f"the results for {got}", f"one per URL, {names}")
    check(server.peak <= 3, call, f"{server.peak} requests at the server at once", "at most 3 (the limit)")
    idle = server.idle_place(3)
    moment, in_flight = idle or (0.0, 3)
    waiting = [name for name in names if name not in server.spans or server.spans[name][0] > moment + 1e-6]
    starts = ", ".join(f"{name} at {server.spans[name][0]:g} s" for name in names if name in server.spans)
    check(
        idle is None,
        call,
        f"only {in_flight} request(s) in flight at {moment:g} s while {', '.join(waiting)} still waited "
        f"(the requests started: {starts}), {seen['took']:g} s in all",
        "a new request the moment one of the 3 finishes, so no place stays free while a URL waits: 3 s in all "
        "(a takes 3 s; the 1 s pages take turns beside it)",
        "Don't split the URLs into batches: a batch waits for its slowest page while the other places stay "
        "idle. Start every fetch at once, each waiting for a free place: one shared `asyncio.Semaphore(limit)`, "
        "`async with semaphore:` around each request.",
    )


def test_fetch_pages_records_each_failure_on_its_own(learner):
    """fetch_pages records a refused connection and a 404 in their own results and keeps the other pages"""
    urls = ["http://shop.test/kiwi", "http://shop.test/mango", "http://shop.test/gone", "http://shop.test/fig"]

    async def scenario(fetch_pages):
        with aioresponses() as mocked:
            mocked.get(urls[0], body="kiwi")
            mocked.get(urls[1], exception=aiohttp.ClientConnectionError("refused"))
            mocked.get(urls[2], status=404, body="No such fruit")
            mocked.get(urls[3], body="fig")
            return await fetch_pages(urls, None, 10)

    call = learner.run_scenario("fetch_pages", scenario, text=f"fetch_pages({urls}, None, 10), where mango refuses the connection and gone answers 404")
    got = call.result()
    items = got if isinstance(got, list) else []
    errors = [r.get("error") for r in items if isinstance(r, dict) and "error" in r]
    check(
        not (len(errors) > 1 and all(e is errors[0] for e in errors)),
        call,
        f"every result holding the same error, {errors[0]!r}" if errors else "",
        "one result per URL: only mango's holds the error",
        "Catch the failure inside fetch_page, around one request, not around the whole batch. " + CATCH_BOTH,
    )
    shown = [
        {"url": r.get("url"), "error": type(r["error"]).__name__} if isinstance(r, dict) and "error" in r else r
        for r in items
    ] if items else got
    if isinstance(shown, list) and all(isinstance(r, dict) for r in shown) and sorted(str(r.get("url")) for r in shown) == sorted(urls):
        shown.sort(key=lambda r: urls.index(r["url"]))  # any order here: the order has its own test
        got = sorted(got, key=lambda r: urls.index(r["url"]))
    wanted = [
        {"url": urls[0], "status": 200, "body": "kiwi"},
        {"url": urls[1], "error": "ClientConnectionError"},
        {"url": urls[2], "status": 404, "body": "No such fruit"},
        {"url": urls[3], "status": 200, "body": "fig"},
    ]
    check(
        isinstance(got, list) and shown == wanted and all(isinstance(r, dict) for r in got)
        and isinstance(got[1].get("error"), aiohttp.ClientConnectionError),
        call,
        f"the results {shown}",
        f"{wanted} (the error: the exception object itself)",
        "One bad URL must not stop or spoil the others: fetch_page records its own failure, and a 404 is an answer.",
    )


def test_fetch_pages_times_out_each_page_on_its_own(learner):
    """fetch_pages with a 2 s timeout gives up on a 60 s page alone, keeps the 1 s page, and takes 2 s"""
    server = CountingServer(delays={"fast": 1.0, "slow": 60.0})
    call, seen = call_fetch_pages(learner, server, ["fast", "slow"], None, 2)
    error = call.run.error
    in_fetch_page = error is not None and any(
        frame.name == "fetch_page" and frame.filename in learner.files for frame in traceback.extract_tb(error.__traceback__))
    check(
        not isinstance(error, asyncio.TimeoutError),
        call,
        f"it raise {type(error).__name__} after {seen.get('took', 0):g} s: the fast page's result was lost with it",
        "[{'url': .../fast, 'status': 200, ...}, {'url': .../slow, 'error': <the TimeoutError>}]",
        "Each request has its own time limit, but nothing in fetch_page caught its TimeoutError, so it ended the "
        "whole batch. " + CATCH_BOTH if in_fetch_page else
        "The timeout is per request: a time limit around the whole batch cancels every page at once. "
        + PER_REQUEST_TIMEOUT + " " + CATCH_BOTH,
    )
    got = call.result()
    shown = [
        {"url": str(r.get("url")).rsplit("/", 1)[-1], **({"error": type(r["error"]).__name__} if "error" in r else {"status": r.get("status")})}
        if isinstance(r, dict) else r
        for r in got
    ] if isinstance(got, list) else got
    if isinstance(shown, list) and all(isinstance(r, dict) for r in shown):
        shown.sort(key=lambda r: str(r["url"]))  # any order here: the order has its own test
    wanted = [{"url": "fast", "status": 200}, {"url": "slow", "error": "TimeoutError"}]
    check(
        shown == wanted and abs(seen["took"] - 2.0) < 1e-6,
        call,
        f"the results {shown} after {seen['took']:g} s of loop time",
        f"{wanted} after 2 s",
        PER_REQUEST_TIMEOUT,
    )


def test_fetch_pages_leaves_nothing_running(learner):
    """With limit 2 and a 1.5 s timeout, 4 pages of 1 s: every fetch has ended when fetch_pages returns"""
    server = CountingServer(delay=1.0)
    names = [f"p{n}" for n in range(4)]
    call, seen = call_fetch_pages(learner, server, names, 2, 1.5)
    got = names_of(call.result())
    check(
        not seen["tasks"],
        call,
        f"it return after {seen['took']:g} s while {len(seen['tasks'])} task(s) it started were still running "
        f"({', '.join(sorted(set(seen['tasks'])))}): their requests go on, on a session that is being closed, and nobody "
        "reads what they find",
        "every fetch finished (or cancelled and awaited) before it returned",
        "Wait for every fetch you start (asyncio.gather), and give each request its own time limit inside "
        "fetch_page instead of giving up on the batch. If you do stop waiting for a task, cancel it and await it.",
    )
    check(one_per_url(got, names), call, f"the results for {got}", f"one per URL, {names}")
