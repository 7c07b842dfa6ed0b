"""Hidden checks of exercise 08: fetch_page and fetch_pages.

Two kinds of server answer the learner's aiohttp client, both inside the learner's own
virtual-time event loop (a server outside it would break virtual time):

- aioresponses, for exact answers: statuses, bodies, refused connections, timeouts, and
  answers delayed in loop time, whose start and end are recorded;
- a real aiohttp server on 127.0.0.1 (port 0), which records every request it serves, how
  many were in flight at once and on how many connections they came: limits, sessions and
  timeouts measured on real sockets.

Every ClientSession made while the learner's function runs is noted (and closed afterwards
if the learner left it open), so "one session" and "closed" are counted, not guessed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http
import socket
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import aiohttp
import pytest
from aiohttp import web
from aioresponses import CallbackResult, aioresponses

from grader.failure import CheckFailed
from grader.learner import error_text, first_leaf, short
from grader.timeline import Span, render

EXACT = 1e-6  # loop time is virtual: correct code hits each figure exactly
SHOP = "http://shop.test"

CATCH = (
    "Catch the failure in fetch_page and record it: `except (aiohttp.ClientError, asyncio.TimeoutError) "
    "as error: return {\"url\": url, \"error\": error}`. A timeout is not an aiohttp.ClientError: name both."
)
STATUS = (
    "An error status is still an answer: record it, `{\"url\": url, \"status\": response.status, "
    "\"body\": await response.text()}`. Don't call response.raise_for_status() and don't make the session "
    "with raise_for_status=True: they turn a 404 into an exception."
)
SEMAPHORE = (
    "Create one `asyncio.Semaphore(limit)` before starting the fetches and share it: each fetch does "
    "`async with semaphore:` around its request. (A new Semaphore per fetch limits nothing.)"
)
TOGETHER = (
    "Start every fetch before awaiting any: `await asyncio.gather(*(fetch_page(session, url, timeout) "
    "for url in urls))`."
)
ONE_SESSION = (
    "Open one session for the whole batch, `async with aiohttp.ClientSession() as session:`, and pass "
    "it to every fetch_page call. A session holds a pool of connections that its requests share."
)
CLOSE = (
    "Open it with `async with aiohttp.ClientSession() as session:` around all the fetches: the session "
    "is closed when the block ends, also if something inside raises. (Or `await session.close()` in a "
    "`finally:`.)"
)
TIMEOUT = (
    "Give each request its own time limit: `session.get(url, timeout=aiohttp.ClientTimeout(total=timeout))`, "
    "or `async with asyncio.timeout(timeout):` around the request inside fetch_page, and catch the "
    "TimeoutError there."
)


def shown(value: Any) -> str:
    """A value as a message shows it: an exception by its type and text, cut to a line."""
    if isinstance(value, BaseException):
        text = error_text(value)
        return text if len(text) <= 90 else text[:87] + "..."
    return short(value)


def seconds(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"


# --- what the learner's ClientSessions did ------------------------------------------------------


class Sessions:
    """Notes every aiohttp.ClientSession created while ``watching()`` (aiohttp.request() makes one too)."""

    def __init__(self) -> None:
        self.made: list[aiohttp.ClientSession] = []

    @contextlib.contextmanager
    def watching(self):
        original = aiohttp.ClientSession.__init__
        made = self.made

        @functools.wraps(original)
        def noted(session, *args, **kwargs):
            original(session, *args, **kwargs)
            made.append(session)

        aiohttp.ClientSession.__init__ = noted
        try:
            yield
        finally:
            aiohttp.ClientSession.__init__ = original

    def still_open(self) -> list[aiohttp.ClientSession]:
        return [s for s in self.made if not s.closed]


# --- a server mocked with aioresponses ----------------------------------------------------------


@dataclass
class Answer:
    delay: float = 0.0
    status: int = 200
    body: str = ""
    fails: str | None = None  # "refused" or "timeout"


@dataclass
class Served:
    """One request a server saw, from its arrival to its answer, in loop time."""

    label: str
    start: float
    end: float | None = None
    outcome: str = "running"


class MockServer:
    """Answers GET requests to ``SHOP`` URLs through aioresponses after ``delay`` s of loop time,
    recording each request."""

    name = "server"

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.served: list[Served] = []
        self.in_flight = 0
        self.peak = 0

    def page(self, path: str, status: int = 200, body: str | None = None, delay: float = 0.0) -> str:
        url = SHOP + path
        self.answers[url] = Answer(delay, status, f"<h1>{path}</h1>" if body is None else body)
        return url

    def refuse(self, path: str, delay: float = 0.0) -> str:
        url = SHOP + path
        self.answers[url] = Answer(delay, fails="refused")
        return url

    def time_out(self, path: str, delay: float) -> str:
        """A request whose time limit runs out after ``delay`` s: the client sees TimeoutError."""
        url = SHOP + path
        self.answers[url] = Answer(delay, fails="timeout")
        return url

    @contextlib.contextmanager
    def active(self):
        with aioresponses() as mocked:
            for url in self.answers:
                mocked.get(url, callback=self._answer, repeat=True)
            yield

    async def _answer(self, requested: Any, **_: Any) -> CallbackResult:
        url = str(requested)
        answer = self.answers[url]
        loop = asyncio.get_running_loop()
        served = Served(url.removeprefix(SHOP), loop.time())
        self.served.append(served)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(answer.delay)
        except asyncio.CancelledError:
            served.end, served.outcome = loop.time(), "cancel"
            raise
        finally:
            self.in_flight -= 1
        served.end = loop.time()
        if answer.fails == "refused":
            served.outcome = "fail"
            raise aiohttp.ClientConnectionError(f"Cannot connect to host shop.test:80 ({url} refused)")
        if answer.fails == "timeout":
            served.outcome = "fail"
            raise asyncio.TimeoutError()
        served.outcome = "finish"
        return CallbackResult(
            status=answer.status, body=answer.body, content_type="text/html", reason=http.HTTPStatus(answer.status).phrase
        )

    # what a run's messages may draw
    @property
    def calls(self) -> list[str]:
        return [s.label for s in self.served]

    def spans(self) -> list[Span]:
        return [Span(s.label, s.start, s.end, s.outcome) for s in self.served]

    def never_awaited(self) -> int:
        return 0


# --- a real server on 127.0.0.1 -----------------------------------------------------------------


class LocalServer:
    """A real aiohttp server on 127.0.0.1 (port 0), run inside the learner's loop.

    ``/<name>`` answers after ``delay(name)`` s of loop time with ``status(name)``. It records
    every request, the peak number in flight, and the connections they came on.
    """

    name = "server"

    def __init__(self, delay: Callable[[str], float] = lambda name: 1.0, status: Callable[[str], int] = lambda name: 200):
        self.delay = delay
        self.status = status
        self.served: list[Served] = []
        self.in_flight = 0
        self.peak = 0
        self.connections: list[Any] = []  # one RequestHandler per TCP connection, in order of first use
        self.peak_connections = 0
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    @staticmethod
    def body(name: str) -> str:
        return f"<h1>{name}</h1>"

    async def __aenter__(self) -> LocalServer:
        app = web.Application()
        app.router.add_get("/{name}", self._handle)
        # shutdown_timeout: requests still being served when the check ends are cut off at once.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *_: Any) -> None:
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        loop = asyncio.get_running_loop()
        name = request.match_info["name"]
        if all(request.protocol is not c for c in self.connections):
            self.connections.append(request.protocol)
        self.peak_connections = max(self.peak_connections, len(self._runner.server.connections))
        served = Served(f"/{name}", loop.time())
        self.served.append(served)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay(name))
        except asyncio.CancelledError:
            served.end, served.outcome = loop.time(), "cancel"
            raise
        finally:
            self.in_flight -= 1
        served.end, served.outcome = loop.time(), "finish"
        return web.Response(status=self.status(name), text=self.body(name), content_type="text/html")

    @property
    def calls(self) -> list[str]:
        return [s.label for s in self.served]

    def spans(self) -> list[Span]:
        return [Span(s.label, s.start, s.end, s.outcome) for s in self.served]

    def never_awaited(self) -> int:
        return 0


@contextlib.contextmanager
def refusing_port():
    """A port on 127.0.0.1 that nothing listens on: connecting is refused at once. It stays bound
    while in use, so the check's own server (port 0) cannot be given it, nor a client its
    ephemeral port (a socket connecting to its own port talks to itself)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


# --- running the learner's function ---------------------------------------------------------------


@dataclass
class Record:
    """What a run did beyond its return value."""

    args: tuple = ()
    took: float | None = None  # loop time from the call to its return (or raise)
    sessions: Sessions = field(default_factory=Sessions)
    left_open: int = 0  # sessions it made and had not closed when it returned
    given: aiohttp.ClientSession | None = None  # the session handed to fetch_page
    given_closed: bool = False
    running: list[str] = field(default_factory=list)  # the learner's tasks still running when it returned


def run(learner, name: str, build: Callable[[Any], tuple], *, text: str, server: Any, hang_causes: tuple = ()):
    """Run ``name(*build(session))`` with ``server`` answering, inside the harness loop.

    fetch_page gets a ClientSession made by the check; fetch_pages makes its own.
    """
    record = Record()

    async def scenario(function):
        loop = asyncio.get_running_loop()
        async with contextlib.AsyncExitStack() as stack:
            if isinstance(server, MockServer):
                stack.enter_context(server.active())
            else:
                await stack.enter_async_context(server)
            if name == "fetch_page":
                record.given = aiohttp.ClientSession()
                stack.push_async_callback(record.given.close)
            record.args = build(record.given)
            start = loop.time()
            before = asyncio.all_tasks()
            try:
                with record.sessions.watching():
                    return await function(*record.args)
            finally:
                record.took = loop.time() - start
                record.running = sorted(
                    f"{task.get_coro().__qualname__}()"
                    for task in asyncio.all_tasks() - before
                    if not task.done() and learners_task(task, learner.files)
                )
                left = record.sessions.still_open()
                record.left_open = len(left)
                record.given_closed = record.given is not None and record.given.closed
                for session in left:
                    await session.close()

    call = learner.run_scenario(name, scenario, text=text, probes=(server,), hang_causes=hang_causes)
    return call, record


def learners_task(task: asyncio.Task, files: Any) -> bool:
    """A task running one of the learner's coroutines (not the server's, not the harness's)."""
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_filename in files


def where_function(call, error: BaseException) -> str | None:
    """The learner's innermost function on the error's traceback."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in call.learner.files]
    return frames[-1].name if frames else None


def no_crash(call, record: Record, *, failing: str) -> None:
    """The run raised nothing; when it did, say which failure it let through, and why that is wrong."""
    error = call.run.error
    if error is None:
        return
    leaf = first_leaf(error)
    at = f" after {seconds(record.took)}" if record.took else ""
    if call.function == "fetch_page" and isinstance(leaf, (aiohttp.ClientError, asyncio.TimeoutError)):
        advice = STATUS if isinstance(leaf, aiohttp.ClientResponseError) else CATCH
        raise CheckFailed(
            f"Called {call.text}, where {failing}. It raised {error_text(leaf)} at {call.where(leaf)}{at}. fetch_page "
            "must not raise for one URL: fetch_pages runs it for every URL, and one exception there stops the whole "
            "batch.",
            advice,
        )
    if isinstance(leaf, aiohttp.ClientResponseError):
        raise CheckFailed(
            f"Called {call.text}, where {failing}. It raised {error_text(leaf)} at {call.where(leaf)}{at}: a page "
            f"that answered {leaf.status} crashed the whole call, and the pages that did answer were lost.",
            STATUS,
        )
    if isinstance(leaf, RuntimeError) and "Session is closed" in str(leaf):
        raise CheckFailed(
            f"Called {call.text}. It raised {error_text(leaf)} at {call.where(leaf)}: a request was made on a "
            "session that had already been closed.",
            "Keep every fetch inside the `async with aiohttp.ClientSession() as session:` block, and let only "
            "the code that opened the session close it (fetch_page must not close the session it is given).",
        )
    if isinstance(leaf, (aiohttp.ClientError, asyncio.TimeoutError)):
        kind = "timeout" if isinstance(leaf, asyncio.TimeoutError) else "connection error"
        inner = where_function(call, leaf)
        if kind == "timeout" and inner not in (None, "fetch_page"):
            raise CheckFailed(
                f"Called {call.text}, where {failing}. It raised TimeoutError at {call.where(leaf)}{at}: the time "
                "limit covered the whole batch, so one slow page cancelled all the others and nothing was "
                "returned. The timeout is per request.",
                TIMEOUT,
            )
        raise CheckFailed(
            f"Called {call.text}, where {failing}. It raised {error_text(leaf)} at {call.where(leaf)}{at}: one "
            f"URL's {kind} stopped the whole call, and the pages that did answer were lost. Each URL's failure "
            "belongs in its own result; the other URLs go on.",
            CATCH,
        )
    call.result()  # any other exception: its line, and known advice


# --- judging results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    url: str
    status: int
    body: str

    def wanted(self) -> str:
        return f"{{'url': {self.url!r}, 'status': {self.status}, 'body': {self.body!r}}}"


@dataclass(frozen=True)
class Failed:
    url: str
    kind: type  # what the error must be an instance of
    why: str  # "the connection was refused", "it timed out"

    def wanted(self) -> str:
        return f"{{'url': {self.url!r}, 'error': <the {self.kind.__name__}>}}"


ERROR_KINDS = {"refused": aiohttp.ClientConnectionError, "timeout": asyncio.TimeoutError}


def item_problem(call, got: Any, want: Page | Failed) -> str | None:
    """What is wrong with one URL's result, or None."""
    if type(got) is not dict:
        return f"its result is {short(got)} ({type(got).__name__}); expected a dict, {want.wanted()}"
    odd_keys = [k for k in got if type(k) is not str]  # a key object with a lying __eq__/__hash__
    if odd_keys:
        odd = odd_keys[0]
        return f"its result has the key {short(odd)} ({type(odd).__name__}); expected str keys: {want.wanted()}"
    if "url" in got and type(got["url"]) is not str:
        return (
            f"its 'url' is {short(got['url'])} ({type(got['url']).__name__}); expected the URL string you were "
            f"given, {want.url!r} (response.url is a yarl.URL, not that string)"
        )
    if "url" in got and got["url"] != want.url:
        return f"its 'url' is {got['url']!r}; expected the URL it fetched, {want.url!r}"
    if isinstance(want, Page):
        error = got.get("error")
        if isinstance(error, aiohttp.ClientResponseError):
            return (
                f"the server answered {want.status}, but it recorded an error, {shown(error)}, instead of "
                f"the status: expected {want.wanted()}"
            )
        if "error" in got:
            released = (
                " (read the body inside `async with session.get(url) as response:`: when the block ends the "
                "connection goes back to the pool, and the body with it)"
                if isinstance(error, aiohttp.ClientConnectionError) and "Connection closed" in str(error)
                else ""
            )
            return (
                f"the server answered {want.status}, but it recorded the error {shown(error)}: expected "
                f"{want.wanted()}{released}"
            )
        if set(got) != {"url", "status", "body"}:
            return f"its result has the keys {sorted(got)}; expected exactly 'url', 'status' and 'body': {want.wanted()}"
        if type(got["status"]) is not int or got["status"] != want.status:
            return f"it recorded the status {short(got['status'])}; the server answered {want.status}"
        if type(got["body"]) is not str or got["body"] != want.body:
            bytes_hint = " (`await response.text()` gives the body as a str)" if isinstance(got["body"], bytes) else ""
            return f"it recorded the body {short(got['body'])}{bytes_hint}; the server sent {want.body!r}"
        return None
    if "status" in got:
        return f"{want.why}, so there is no status to record; expected {want.wanted()}"
    if set(got) != {"url", "error"}:
        return f"{want.why}; its result has the keys {sorted(got)}, expected exactly 'url' and 'error': {want.wanted()}"
    error = got["error"]
    if not (isinstance(error, BaseException) and issubclass(type(error), want.kind)):  # not __class__'s word
        return (
            f"{want.why}; it recorded the error as {shown(got['error'])}, expected the exception object itself, "
            f"a {want.kind.__name__} (`except ... as error:` then `\"error\": error`)"
        )
    return None


def judge_page(call, record: Record, want: Page | Failed) -> None:
    """fetch_page returned the right dict, used the session it was given, and left it open."""
    if record.sessions.made:
        raise CheckFailed(
            f"Called {call.text}. It made its own ClientSession instead of using the session it was given: "
            "fetch_pages calls fetch_page once per URL, so that is a new session (and connection pool) per URL.",
            "Make the request with the `session` parameter: `async with session.get(url, ...) as response:`.",
        )
    if record.given_closed:
        raise CheckFailed(
            f"Called {call.text}. It closed the session it was given (`async with session:`?): every later "
            "request on that session fails with \"Session is closed\".",
            "Use the session, don't close it: `async with session.get(url) as response:`. The code that opens "
            "a session closes it.",
        )
    got = call.result()
    if got is None:
        raise CheckFailed(f"Called {call.text}. It returned None; expected {want.wanted()}.", "Did you forget the `return`?")
    problem = item_problem(call, got, want)
    if problem:
        raise CheckFailed(f"Called {call.text}. For {want.url} {problem}.")


def judge_list(call, record: Record, wanted: list[Page | Failed], server: Any, *, any_order: bool = False) -> list[Any]:
    """fetch_pages returned one right dict per URL, in the order of the URLs (``any_order``: in any
    order, for checks of something else: results read from a set come out right by chance with few
    URLs, so the order is judged where there are enough of them for a stable verdict)."""
    got = call.result()
    n = len(wanted)
    if type(got) is not list:
        hint = "Did you forget the `return`?" if got is None else None
        raise CheckFailed(f"Called {call.text}. It returned {short(got)}; expected a list of {n} results, one per URL.", hint)
    if len(got) != n:
        raise CheckFailed(
            f"Called {call.text}. It returned {len(got)} results for {n} URLs; expected one result per URL, in "
            "the order of the URLs (failures included)."
        )
    urls = [w.url for w in wanted]
    got_urls = [g.get("url") if type(g) is dict else None for g in got]
    if got_urls != urls and sorted(map(str, got_urls)) == sorted(urls) and any_order:
        got = sorted(got, key=lambda g: urls.index(g.get("url")))
    elif got_urls != urls and sorted(map(str, got_urls)) == sorted(urls):
        ends = {s.label.rsplit("/", 1)[-1]: s.end for s in server.served if s.end is not None}
        times = [ends.get(str(u).rsplit("/", 1)[-1]) for u in got_urls]
        arrived = None not in times and times == sorted(times) and len(set(times)) > 1
        how = "in the order the pages arrived" if arrived else "in another order"
        raise CheckFailed(
            f"Called {call.text}. It returned the results {how}, {short([str(u).rsplit('/', 1)[-1] for u in got_urls])}, "
            f"not in the order of the URLs: {short([u.rsplit('/', 1)[-1] for u in urls])}.",
            "asyncio.gather returns its results in the order you pass the awaitables, whatever order they finish in.",
        )
    errors = [g.get("error") for g in got if type(g) is dict and isinstance(g.get("error"), BaseException)]
    if len(errors) == n > 1 and all(e is errors[0] for e in errors) and caught_in(errors[0]) != "fetch_page":
        raise CheckFailed(
            f"Called {call.text}. Every result holds the same error, {shown(errors[0])}: one URL's failure was "
            "caught around the whole batch and replaced all the results, the pages that answered too.",
            CATCH,
        )
    for index, (item, want) in enumerate(zip(got, wanted)):
        problem = item_problem(call, item, want)
        if problem:
            raise CheckFailed(f"Called {call.text}. Result {index}, for {want.url}: {problem}.")
    nothing_left_running(call, record)
    return got


def caught_in(error: BaseException) -> str | None:
    """The function that caught ``error``: the outermost frame of its traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    return frames[0].name if frames else None


def nothing_left_running(call, record: Record) -> None:
    if record.running:
        counted = ", ".join(sorted(set(record.running)))
        raise CheckFailed(
            f"Called {call.text}. It returned while {len(record.running)} task(s) it started were still running "
            f"({counted}): their requests go on after the results were handed back, on a session that is being "
            "closed, and nobody will ever read what they find.",
            "Wait for every fetch you start (asyncio.gather, a TaskGroup), and give each request its own time "
            "limit inside fetch_page instead of giving up on the batch. If you do stop waiting for a task, "
            "cancel it and await it.",
        )


def closed_its_sessions(call, record: Record) -> None:
    if record.left_open:
        raise CheckFailed(
            f"Called {call.text}. It returned with {record.left_open} ClientSession(s) it made still open "
            "(aiohttp warns \"Unclosed client session\"): their connections stay open until the garbage "
            "collector finds them.",
            CLOSE,
        )


def schedule(server: Any, expected: list[Span] | None = None, title: str = "Expected") -> str | None:
    spans = server.spans()
    return render(spans, expected, expected_title=title) if spans else None


def slots(delays: list[tuple[str, float]], limit: int) -> list[Span]:
    """The schedule of requests started in order, a new one as soon as one of ``limit`` slots frees."""
    free = [0.0] * limit
    spans = []
    for label, delay in delays:
        free.sort()
        start = free.pop(0)
        spans.append(Span(label, start, start + delay))
        free.append(start + delay)
    return spans


# --- fetch_page ----------------------------------------------------------------------------------


def run_page(learner, server: Any, url: Callable[[], str], timeout: float, shown: str):
    return run(learner, "fetch_page", lambda session: (session, url(), timeout), text=f"fetch_page(session, {shown!r}, {timeout:g})", server=server)


@pytest.mark.points(1)
def test_fetch_page_returns_status_and_body(learner):
    """fetch_page returns {'url', 'status', 'body'} for a page, using the session it is given"""
    server = MockServer()
    url = server.page("/kiwi", body="<h1>Kiwi, 3 for 1 €</h1>", delay=0.5)
    call, record = run_page(learner, server, lambda: url, 10, url)
    judge_page(call, record, Page(url, 200, "<h1>Kiwi, 3 for 1 €</h1>"))


@pytest.mark.points(2)
@pytest.mark.parametrize("status", [404, 503])
def test_fetch_page_records_error_statuses(learner, status):
    """fetch_page records a 404 or a 503 as its status and body, without raising"""
    server = MockServer()
    body = {404: "<p>No such fruit</p>", 503: "<p>Busy, try later</p>"}[status]
    url = server.page("/durian", status=status, body=body)
    call, record = run_page(learner, server, lambda: url, 10, url)
    no_crash(call, record, failing=f"the page answers {status}")
    judge_page(call, record, Page(url, status, body))


@pytest.mark.points(1)
def test_fetch_page_records_connection_errors(learner):
    """fetch_page records a refused connection as {'url', 'error'}, without raising"""
    server = MockServer()
    url = server.refuse("/mango", delay=0.5)
    call, record = run_page(learner, server, lambda: url, 10, url)
    no_crash(call, record, failing="the connection is refused")
    judge_page(call, record, Failed(url, aiohttp.ClientConnectionError, "the connection was refused"))


@pytest.mark.points(2)
def test_fetch_page_gives_up_after_timeout(learner):
    """fetch_page gives up on a page that takes 60 s after its 2 s timeout, and records the TimeoutError"""
    server = LocalServer(delay=lambda name: 60.0)
    call, record = run_page(learner, server, lambda: server.url("slow"), 2, "http://127.0.0.1:PORT/slow")
    url = record.args[1] if record.args else "http://127.0.0.1:PORT/slow"
    no_crash(call, record, failing="the page takes 60 s and the timeout is 2 s")
    took = record.took
    if took is not None and took > 2.0 + EXACT:
        raise CheckFailed(
            f"Called {call.text}, where the page takes 60 s to answer. It returned after {seconds(took)}: the "
            "2 s timeout never applied. Expected it to give up at 2 s and return {'url': url, 'error': <the "
            "TimeoutError>}.",
            TIMEOUT,
            schedule(server),
        )
    judge_page(call, record, Failed(url, asyncio.TimeoutError, "it timed out after 2 s"))
    if took is not None and took + EXACT < 2.0:
        raise CheckFailed(f"Called {call.text}. It gave up after {seconds(took)}, before its 2 s timeout.", TIMEOUT)


# --- fetch_pages ---------------------------------------------------------------------------------


def run_pages(learner, server: Any, names: list[str] | Callable[[], list[str]], limit: int | None, timeout: float, shown: str):
    text = f"fetch_pages({shown}, {limit}, {timeout:g})"
    build = names if callable(names) else (lambda: names)
    return run(learner, "fetch_pages", lambda _session: (build(), limit, timeout), text=text, server=server)


@pytest.mark.points(1)
def test_fetch_pages_keeps_input_order(learner):
    """fetch_pages returns one result per URL in the order of the URLs, not the order they arrive"""
    server = MockServer()
    delays = {"/kiwi": 3.0, "/fig": 1.0, "/pear": 2.0, "/apple": 0.5, "/lime": 2.5, "/plum": 1.5,
              "/date": 0.25, "/mango": 2.75, "/quince": 1.25, "/melon": 0.75}  # 10: a set's order matches by luck too often with fewer
    urls = [server.page(path, delay=delay) for path, delay in delays.items()]
    call, record = run_pages(learner, server, urls, None, 10, f"[{len(urls)} URLs of shop.test]")
    no_crash(call, record, failing="every page answers 200")
    judge_list(call, record, [Page(url, 200, f"<h1>{url.removeprefix(SHOP)}</h1>") for url in urls], server)
    empty, record = run_pages(learner, MockServer(), [], None, 10, "[]")
    got = empty.result()
    if got != [] or type(got) is not list:
        raise CheckFailed(f"Called {empty.text}. It returned {short(got)}; expected [] (no URLs, no results).")


@pytest.mark.points(2)
def test_fetch_pages_runs_all_at_once_without_limit(learner):
    """With limit None, fetch_pages sends all 20 requests at once: 20 pages of 1 s take 1 s"""
    server = LocalServer()
    names = [f"p{n:02d}" for n in range(20, 0, -1)]
    call, record = run_pages(learner, server, lambda: [server.url(n) for n in names], None, 10, "[20 URLs of a local server]")
    no_crash(call, record, failing="every page answers 200 after 1 s")
    judge_list(call, record, [Page(server.url(n), 200, server.body(n)) for n in names], server)
    took = record.took
    if server.peak == 20 and abs(took - 1.0) <= EXACT:
        return
    picture = schedule(server, [Span(f"/{n}", 0.0, 1.0) for n in names], "Expected: all at once, 1 s")
    if server.peak == 1:
        raise CheckFailed(
            f"Called {call.text}. The server got the 20 requests one after another, never two at once: "
            f"{seconds(took)} of loop time. With no limit all 20 go out together and take 1 s, the time of one.",
            TOGETHER,
            picture,
        )
    if server.peak < 20:
        raise CheckFailed(
            f"Called {call.text}. At most {server.peak} requests were at the server at once, and the 20 pages took "
            f"{seconds(took)} of loop time. With limit None there is no limit: all 20 at once, 1 s.",
            "Limit only when a limit is given: `asyncio.Semaphore(limit) if limit else None`. " + TOGETHER,
            picture,
        )
    raise CheckFailed(
        f"Called {call.text}. The 20 requests ran at once and were answered by 1 s, but it returned only after "
        f"{seconds(took)}: it waited longer than its requests took.",
        "Return as soon as the requests are done: await them (gather), don't sleep or poll.",
        picture,
    )


@pytest.mark.points(2)
def test_fetch_pages_respects_the_limit(learner):
    """With limit 5, fetch_pages keeps at most 5 requests in flight: 20 pages of 1 s take 4 s"""
    server = LocalServer()
    names = [f"p{n:02d}" for n in range(20, 0, -1)]
    call, record = run_pages(learner, server, lambda: [server.url(n) for n in names], 5, 10, "[20 URLs of a local server]")
    no_crash(call, record, failing="every page answers 200 after 1 s")
    judge_list(call, record, [Page(server.url(n), 200, server.body(n)) for n in names], server)
    took = record.took
    picture = schedule(server, slots([(f"/{n}", 1.0) for n in names], 5), "Expected: 5 at a time, 4 s")
    if server.peak > 5:
        everything = " it ignored the limit;" if server.peak == 20 else ""
        raise CheckFailed(
            f"Called {call.text}. Up to {server.peak} requests were at the server at the same time:{everything} "
            "the limit is 5. A limit protects the server (and you) from a flood of requests.",
            SEMAPHORE,
            picture,
        )
    if server.peak < 5 or abs(took - 4.0) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. It kept at most {server.peak} request(s) in flight and took {seconds(took)} of "
            "loop time. With a limit of 5, five run at once: 20 pages of 1 s take 4 s.",
            "Start all the fetches together, each waiting for a free place. " + SEMAPHORE,
            picture,
        )


@pytest.mark.points(1)
def test_fetch_pages_keeps_the_limit_busy(learner):
    """With limit 3, fetch_pages starts the next request as soon as one finishes, not batch by batch"""
    delays = {"a": 4.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0, "f": 1.0, "g": 4.0, "h": 1.0, "i": 1.0}
    server = LocalServer(delay=delays.__getitem__)
    names = list(delays)
    call, record = run_pages(learner, server, lambda: [server.url(n) for n in names], 3, 10, "[9 URLs of a local server]")
    no_crash(call, record, failing="every page answers 200")
    judge_list(call, record, [Page(server.url(n), 200, server.body(n)) for n in names], server)
    expected = slots([(f"/{n}", d) for n, d in delays.items()], 3)
    best = max(span.end for span in expected)
    took = record.took
    if server.peak > 3:
        raise CheckFailed(
            f"Called {call.text}. Up to {server.peak} requests were at the server at the same time; the limit is 3.",
            SEMAPHORE,
            schedule(server, expected, f"Expected: 3 at a time, {seconds(best)}"),
        )
    if abs(took - best) > EXACT and server.peak <= 1:
        raise CheckFailed(
            f"Called {call.text}. It sent one request at a time and took {seconds(took)} of loop time; with 3 "
            f"at a time, a new one starting whenever one finishes, the 9 pages take {seconds(best)}.",
            "Start all the fetches together, each waiting for a free place. " + SEMAPHORE,
            schedule(server, expected, f"Expected: a new request whenever one finishes, {seconds(best)}"),
        )
    # Any order of the URLs is fine, as long as no place stays free while a URL waits.
    idle = idle_place(server.served, 3)
    if idle is not None:
        moment, in_flight = idle
        raise CheckFailed(
            f"Called {call.text}, where pages a and g take 4 s and the others 1 s. At {seconds(moment)} only "
            f"{in_flight} request(s) were in flight while other URLs still waited, and it took {seconds(took)} of "
            f"loop time; starting the next request whenever one of the 3 finishes takes {seconds(best)} (in the "
            "order of the URLs). Waiting for a whole batch of 3 before starting the next leaves places idle "
            "behind the slowest page.",
            "Don't split the URLs into batches: start every fetch at once, each waiting for a free place. " + SEMAPHORE,
            schedule(server, expected, f"Expected: a new request whenever one finishes, {seconds(best)}"),
        )
    ends = [s.end for s in server.served if s.end is not None]
    if ends and took > max(ends) + EXACT:
        raise CheckFailed(
            f"Called {call.text}. Its requests were all answered by {seconds(max(ends))}, but it returned only "
            f"after {seconds(took)}: it waited longer than its requests took.",
            "Return as soon as the requests are done: await them (gather), don't sleep or poll.",
            schedule(server, expected, f"Expected: a new request whenever one finishes, {seconds(best)}"),
        )


def idle_place(served: list[Served], limit: int) -> tuple[float, int] | None:
    """The first moment, before the last request started, with fewer than ``limit`` requests in
    flight (and how many there were), or None when the places were always all taken."""
    if not served:
        return None
    last = max(s.start for s in served)
    moments = sorted({s.start for s in served} | {s.end for s in served if s.end is not None})
    for moment in moments:
        if moment >= last - EXACT:
            break
        in_flight = sum(1 for s in served if s.start <= moment + EXACT and (s.end is None or s.end > moment + EXACT))
        if in_flight < limit:
            return moment, in_flight
    return None


@pytest.mark.points(2)
def test_fetch_pages_uses_one_session(learner):
    """fetch_pages makes one ClientSession for all its URLs, so requests share its connections"""
    server = LocalServer()
    names = [f"p{n:02d}" for n in range(12, 0, -1)]
    call, record = run_pages(learner, server, lambda: [server.url(n) for n in names], 4, 10, "[12 URLs of a local server]")
    no_crash(call, record, failing="every page answers 200 after 1 s")
    judge_list(call, record, [Page(server.url(n), 200, server.body(n)) for n in names], server)
    made = len(record.sessions.made)
    if made == 1:
        return
    if made == 0:
        raise CheckFailed(f"Called {call.text}. It made no aiohttp.ClientSession; make one and fetch every page with it.", ONE_SESSION)
    raise CheckFailed(
        f"Called {call.text}. It made {made} ClientSessions for 12 URLs (aiohttp.request() makes one per call, "
        f"too): the server saw {len(server.connections)} connections where one session, 4 requests at a "
        "time, needs only 4 and reuses them. Each session is a new connection pool: nothing is shared, every "
        "request pays for a new connection, and nothing limits the connections to one host.",
        ONE_SESSION,
    )


@pytest.mark.points(1)
def test_fetch_pages_closes_its_session(learner):
    """fetch_pages closes its ClientSession before it returns, even with no URLs (no "Unclosed client session")"""
    server = MockServer()
    urls = [server.page(path, delay=1.0) for path in ("/kiwi", "/fig", "/pear")]
    call, record = run_pages(learner, server, urls, None, 10, "[3 URLs of shop.test]")
    no_crash(call, record, failing="every page answers 200")
    pages = [Page(url, 200, f"<h1>{url.removeprefix(SHOP)}</h1>") for url in urls]
    judge_list(call, record, pages, server, any_order=True)
    if not record.sessions.made:
        raise CheckFailed(f"Called {call.text}. It made no aiohttp.ClientSession; make one and fetch every page with it.", ONE_SESSION)
    closed_its_sessions(call, record)
    empty, record = run_pages(learner, MockServer(), [], None, 10, "[]")
    no_crash(empty, record, failing="there are no URLs")
    closed_its_sessions(empty, record)


@pytest.mark.points(2)
def test_fetch_pages_records_every_failure(learner):
    """fetch_pages records error statuses, refused connections and timeouts per URL and fetches the rest"""
    server = MockServer()
    wanted = [
        Page(server.page("/kiwi", delay=1.0), 200, "<h1>/kiwi</h1>"),
        Page(server.page("/gone", status=404, body="<p>No such fruit</p>", delay=1.5), 404, "<p>No such fruit</p>"),
        Failed(server.refuse("/mango"), aiohttp.ClientConnectionError, "the connection was refused"),
        Page(server.page("/crash", status=500, body="<p>Oops</p>", delay=0.5), 500, "<p>Oops</p>"),
        Failed(server.time_out("/slow", delay=2.0), asyncio.TimeoutError, "it timed out"),
        Page(server.page("/fig", delay=2.0), 200, "<h1>/fig</h1>"),
    ]
    call, record = run_pages(learner, server, [w.url for w in wanted], None, 10, "[6 URLs of shop.test]")
    no_crash(call, record, failing="/mango refuses the connection at once, /crash answers 500, /gone 404 and /slow times out")
    # 6 URLs: results read from a set come out in order by chance; the order is keeps_input_order's business
    judge_list(call, record, wanted, server, any_order=True)


@pytest.mark.points(1)
def test_fetch_pages_times_out_each_request(learner):
    """fetch_pages times out each slow request on its own and keeps what the others returned"""
    server = LocalServer(delay={"fast": 1.0, "slow": 60.0, "late": 2.5, "gone": 0.5}.__getitem__, status=lambda n: 404 if n == "gone" else 200)
    names = ["fast", "slow", "down", "late", "gone"]
    with refusing_port() as port:
        refused = f"http://127.0.0.1:{port}/down"

        def urls() -> list[str]:
            return [refused if n == "down" else server.url(n) for n in names]

        call, record = run_pages(learner, server, urls, None, 3, "[5 URLs of a local server]")
    no_crash(call, record, failing="/slow takes 60 s with a 3 s timeout and /down refuses the connection")
    got, took = call.result(), record.took
    items = got if type(got) is list else []
    slow = next((g for g in items if type(g) is dict and g.get("url") == server.url("slow")), {})
    if "status" in slow:
        raise CheckFailed(
            f"Called {call.text}, where /slow takes 60 s. It waited for /slow and returned after {seconds(took)}: the "
            "3 s timeout never applied. Expected it to give up on /slow at 3 s and record {'url': ..., 'error': "
            "<the TimeoutError>}.",
            TIMEOUT,
            schedule(server),
        )
    wanted: list[Page | Failed] = [
        Page(server.url("fast"), 200, server.body("fast")),
        Failed(server.url("slow"), asyncio.TimeoutError, "it took longer than the 3 s timeout"),
        Failed(refused, aiohttp.ClientConnectionError, "the connection was refused"),
        Page(server.url("late"), 200, server.body("late")),
        Page(server.url("gone"), 404, server.body("gone")),
    ]
    judge_list(call, record, wanted, server, any_order=True)
    if abs(took - 3.0) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. It recorded every result right, but returned after {seconds(took)}. With no limit "
            "the 5 requests run at once, so the slowest gives up at its 3 s timeout and the call takes 3 s.",
            TOGETHER,
            schedule(server),
        )


@pytest.mark.points(1)
def test_fetch_pages_leaves_nothing_running(learner):
    """With limit 2 and a 3.5 s timeout, 10 pages of 1 s: every fetch has ended when fetch_pages returns"""
    server = LocalServer()
    names = [f"p{n}" for n in (5, 2, 8, 10, 1, 7, 3, 9, 6, 4)]
    call, record = run_pages(learner, server, lambda: [server.url(n) for n in names], 2, 3.5, "[10 URLs of a local server]")
    no_crash(call, record, failing="every page answers 200 after 1 s, 2 at a time")
    got = call.result()
    # A page still waiting for a free place when its 3.5 s ran out may be recorded as a TimeoutError
    # (aiohttp's own timeout counts the wait for a pooled connection): both are accepted here.
    answered = {s.label.removeprefix("/") for s in server.served if s.outcome == "finish"}
    wanted = [
        Page(server.url(n), 200, server.body(n))
        if n in answered or not (type(got) is list and len(got) == len(names) and type(got[i]) is dict and "error" in got[i])
        else Failed(server.url(n), asyncio.TimeoutError, "it was still waiting for a free place, or its request was cut short, at its 3.5 s timeout")
        for i, n in enumerate(names)
    ]
    nothing_left_running(call, record)
    judge_list(call, record, wanted, server)
