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
    """A real aiohttp server on 127.0.0.1: every page takes `delay` s; it notes the peak in flight."""

    def __init__(self, delay=1.0):
        self.delay = delay
        self.in_flight = 0
        self.peak = 0

    async def page(self, request):
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        return web.Response(text=f"page {request.match_info['name']}")

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
