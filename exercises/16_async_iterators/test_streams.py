"""Visible tests of exercise 16. Run them with: pytest exercises/16_async_iterators

The fakes here (a paginated `fetch_page`, a stream of items, a connection `pool`) and the
test's own consumer write one log of what happened, in order, at *virtual* loop time:
which page was fetched when, which item the consumer got, when a stream was closed,
when a connection was released. The tests read their verdicts from that order.
"""

import asyncio
import inspect

from grader.failure import CheckFailed
from grader.learner import Call
from grader.loop import CALLBACK_BUDGET, LOOP_LIMIT, run_coroutine

PAGES = [["ant", "bee", "cat"], ["dog", "eel"]]  # then page 3 is empty
# a short page 2 that is not the last: only the empty page 4 ends the stream
SHORT_MIDDLE = [["ant", "bee", "cat"], ["dog"], ["eel", "fox"]]


class Log(list):
    def add(self, text):
        self.append(f"{asyncio.get_running_loop().time():5.2f} s  {text}")

    def __str__(self):
        return "What happened, in order (loop time):\n" + "\n".join(
            f"  {line}" for line in self
        )


def fake_fetch_page(log, pages=PAGES):
    async def fetch_page(number):
        log.add(f"fetch_page({number}) called")
        await asyncio.sleep(1.0)
        page = list(pages[number - 1]) if 1 <= number <= len(pages) else []
        log.add(f"fetch_page({number}) returned {len(page)} items")
        return page

    return fetch_page


class Pool:
    """Hands out 'conn-1', 'conn-2', ... in the order acquire() is called."""

    def __init__(self, log):
        self.log = log
        self.acquired = 0
        self.release_calls = []
        self.released = []

    async def acquire(self):
        self.acquired += 1
        conn = f"conn-{self.acquired}"
        self.log.add("pool.acquire() called")
        await asyncio.sleep(0.5)
        return conn

    async def release(self, conn):
        self.release_calls.append(conn)
        self.log.add(f"pool.release({conn!r}) called")
        await asyncio.sleep(0.25)
        self.released.append(conn)


def run(learner, name, scenario, text):
    """Run ``scenario(function)`` on the test loop; also for a function that is not a
    coroutine function (an async generator function, a context manager)."""
    function = learner.function(name)
    run = run_coroutine(lambda: scenario(function), files=learner.files)
    call = Call(name, text, run, learner, [])
    call.fail_on_harness_findings(LOOP_LIMIT, CALLBACK_BUDGET, ())
    return call


async def stream_of(made, name):
    """What `async for` uses, from what the learner's function returned."""
    if inspect.iscoroutine(made):
        await made  # the stub's NotImplementedError comes out here
        raise CheckFailed(
            f"{name} returned a coroutine: put `yield` in it to make it an async generator."
        )
    if inspect.isgenerator(made):
        made.close()
        raise CheckFailed(
            f"{name} is a plain generator (`def` with `yield`): `async for` cannot use it.",
            "Define it with `async def`, and wait with `await asyncio.sleep(...)`, never time.sleep.",
        )
    return aiter(made)


async def take_all(stream, log, pause=0.0):
    """Take every item, as `async for` does, logging each; pause after each one."""
    got = []
    while len(got) < 10:
        try:
            item = await anext(stream)
        except StopAsyncIteration:
            log.add("the stream ended")
            break
        log.add(f"consumer got {item!r}")
        got.append(item)
        await asyncio.sleep(pause)
    return got


def passed_on(call):
    """A CheckFailed raised inside the scenario is the test's verdict; anything else is
    the learner's error, with its line."""
    if isinstance(call.run.error, CheckFailed):
        raise call.run.error
    return call.result()


def test_ticks_yields_each_tick_on_time(learner):
    """ticks(1.0, 3) yields 1, 2 and 3 at 1, 2 and 3 s of loop time"""
    log = Log()

    async def scenario(ticks):
        return await take_all(await stream_of(ticks(1.0, 3), "ticks"), log)

    call = run(learner, "ticks", scenario, "ticks(1.0, 3)")
    got = passed_on(call)
    expected = [
        "1.00 s  consumer got 1",
        "2.00 s  consumer got 2",
        "3.00 s  consumer got 3",
    ]
    if got != [1, 2, 3] or [line.strip() for line in log[:3]] != expected:
        raise CheckFailed(
            f"Called {call.text} and took its ticks with `async for`. Expected the ticks 1, 2, 3 at 1 s, 2 s "
            "and 3 s of loop time: the first one interval after the start (the log below "
            "shows when each came).",
            "In a loop: `await asyncio.sleep(interval)`, then `yield tick`.",
            str(log),
        )
    if [line.strip() for line in log[3:]] != ["3.00 s  the stream ended"]:
        raise CheckFailed(
            f"Called {call.text} and took its ticks with `async for`. The ticks came on time, but the end did "
            "not come right after tick 3, at 3 s: the consumer asking for a 4th item waited for nothing (the "
            "log below shows when the end came).",
            "Check the count before you wait: `for tick in range(1, count + 1): await asyncio.sleep(interval); "
            "yield tick` (in a class: `if self.tick >= self.count: raise StopAsyncIteration` first in __anext__).",
            str(log),
        )


def test_stream_items_yields_every_item(learner):
    """stream_items yields every item of pages 1 to 3 (page 2 is short), then ends at the empty page 4"""
    log = Log()

    async def scenario(stream_items):
        fetch_page = fake_fetch_page(log, SHORT_MIDDLE)
        return await take_all(
            await stream_of(stream_items(fetch_page), "stream_items"), log
        )

    call = run(learner, "stream_items", scenario, "stream_items(fetch_page)")
    got = passed_on(call)
    expected = [item for page in SHORT_MIDDLE for item in page]
    if got == ["ant", "bee", "cat", "dog"]:
        raise CheckFailed(
            f"Called {call.text}, where page 1 has 3 items, page 2 has 1, page 3 has 2 and page 4 is empty. "
            f"The consumer got {got!r}, then the end: the stream stopped after page 2 because it was "
            f"shorter than page 1, and never fetched page 3. Expected {expected!r}: only an empty page "
            "means there are no more.",
            "Fetch the next page after every non-empty one; return only when "
            "`page = await fetch_page(number)` comes back empty (`if not page: return`).",
            str(log),
        )
    if got != expected:
        raise CheckFailed(
            f"Called {call.text}. The consumer got {got!r}; expected {expected!r}, then the end.",
            "Fetch pages 1, 2, 3, ... with `page = await fetch_page(number)`, "
            "`for item in page: yield item`, and return at the first empty page.",
            str(log),
        )


def test_stream_items_fetches_a_page_only_when_needed(learner):
    """stream_items hands out page 1's items before it fetches page 2"""
    log = Log()

    async def scenario(stream_items):
        return await take_all(
            await stream_of(stream_items(fake_fetch_page(log)), "stream_items"),
            log,
            pause=0.5,
        )

    call = run(learner, "stream_items", scenario, "stream_items(fetch_page)")
    passed_on(call)
    texts = [line.split("  ", 1)[1] for line in log]
    if "fetch_page(2) called" in texts and texts.index(
        "fetch_page(2) called"
    ) < texts.index("consumer got 'cat'"):
        early = "consumer got 'ant'" in texts and texts.index("consumer got 'ant'") < texts.index("fetch_page(2) called")
        raise CheckFailed(
            f"Called {call.text} and took its items one at a time. It fetched page 2 before the "
            "consumer had taken page 1's last item, 'cat': it is not streaming.",
            "Page 1's items were handed out, but page 2 was asked for while they were: don't start the next "
            "fetch early (in a task, or before the `for`); `await fetch_page(number + 1)` only after "
            "`for item in page: yield item` is done." if early else
            "Yield each item as soon as its page is there; fetch the next page only after "
            "`for item in page: yield item` is done. Don't collect the items in a list first.",
            str(log),
        )


def test_matching_items(learner):
    """matching_items(fetch_page, 'e') returns ['bee', 'eel']"""
    log = Log()

    async def scenario(matching_items):
        return await matching_items(fake_fetch_page(log), "e")

    call = learner.run_scenario(
        "matching_items", scenario, text="matching_items(fetch_page, 'e')"
    )
    got = call.result()
    if got != ["bee", "eel"]:
        raise CheckFailed(
            f"Called {call.text}. It returned {got!r}; expected ['bee', 'eel'].",
            "`return [item async for item in stream_items(fetch_page) if word in item]`.",
            str(log),
        )


def test_first_items_closes_the_stream(learner):
    """first_items(items, 2) returns 2 items, reads no 3rd, and closes the stream before returning"""
    log = Log()
    asked = [0]  # items the stream was asked for

    async def items():
        try:
            for number in range(1, 6):
                asked[0] = number
                await asyncio.sleep(0.5)
                yield f"item {number}"
        finally:
            log.add("the stream is closed")

    async def scenario(first_items):
        stream = items()
        value = await first_items(stream, 2)
        log.add(f"first_items returned {value!r}")
        return value

    call = learner.run_scenario("first_items", scenario, text="first_items(items, 2)")
    got = call.result()
    if got != ["item 1", "item 2"]:
        raise CheckFailed(
            f"Called {call.text}. It returned {got!r}; expected ['item 1', 'item 2']."
        )
    if asked[0] > 2:
        raise CheckFailed(
            f"Called {call.text}. It asked the stream for {asked[0]} items (each one waited for) to "
            "return 2: a stream can be slow, or endless, so stop as soon as you have n.",
            "Check the count right after taking an item: `taken.append(item)`, then "
            "`if len(taken) == n: break`.",
        )
    if not log or "closed" not in log[0]:
        raise CheckFailed(
            f"Called {call.text}. It returned before closing the stream: breaking out of "
            "`async for` leaves an async generator open.",
            "`async with contextlib.aclosing(items):` around the `async for`.",
            str(log),
        )


def test_first_items_of_a_short_stream(learner):
    """first_items(items, 5) of a stream of 2 items returns those 2, without an error"""
    log = Log()

    async def items():
        try:
            for number in (1, 2):
                await asyncio.sleep(0.5)
                yield f"item {number}"
        finally:
            log.add("the stream is closed")

    async def scenario(first_items):
        value = await first_items(items(), 5)
        log.add(f"first_items returned {value!r}")
        return value

    call = learner.run_scenario("first_items", scenario, text="first_items(items, 5)")
    if isinstance(call.run.error, StopAsyncIteration):
        raise CheckFailed(
            f"Called {call.text} on a stream of 2 items. It raised StopAsyncIteration at "
            f"{call.where(call.run.error)}: it asked for a 3rd item after the stream had ended "
            "(anext() raises StopAsyncIteration at the end). Expected ['item 1', 'item 2']: a stream "
            "shorter than n simply ends the list.",
            "`async for item in items:` stops by itself at the end; break out of it once you have n. "
            "(With anext(), catch StopAsyncIteration, or use `anext(items, None)`.)",
            str(log),
        )
    got = call.result()
    if got != ["item 1", "item 2"]:
        raise CheckFailed(
            f"Called {call.text} on a stream of 2 items. It returned {got!r}; expected ['item 1', 'item 2'].",
            "`async for item in items:` ends with the stream; append each item, break once you have n.",
            str(log),
        )


async def manager_of(connection, pool):
    """What `async with` uses, from what connection(pool) returned."""
    manager = connection(pool)
    if inspect.iscoroutine(manager):
        await manager
        raise CheckFailed(
            "connection(pool) returned a coroutine: `async with` needs an async context manager."
        )
    if inspect.isasyncgen(manager):
        raise CheckFailed(
            "connection(pool) returned an async generator: `async with` needs an async context manager.",
            "Put @contextlib.asynccontextmanager above `async def connection(pool):`.",
        )
    return manager


def swallow_advice(made, learner, advice):
    """``advice``, or, when the manager is a class of yours, what its ``__aexit__`` did."""
    code = getattr(getattr(type(made[0]), "__aexit__", None), "__code__", None) if made else None
    if code is not None and code.co_filename in learner.files:
        return ("Your `__aexit__` returned a true value, which tells Python to swallow the exception: release the "
                "connection there, then return None (or False) so the exception goes on.")
    return advice


def got_the_connection(text, conn, wanted, log):
    """The body must get what pool.acquire() returned."""
    if conn != wanted:
        what = (
            f"the `{type(conn).__name__}` object itself"
            if type(conn).__name__ == "connection"
            else repr(conn)
        )
        raise CheckFailed(
            f"Called {text}. The body got {what} as `conn`, not {wanted!r}, the connection "
            "pool.acquire() returned: `as conn` gets what __aenter__ returns (in an "
            "@asynccontextmanager function, what it yields).",
            "Return the connection itself: `self.conn = await self.pool.acquire()`, `return self.conn` "
            "(or `conn = await pool.acquire()`, `yield conn`).",
            str(log),
        )


def test_connection_releases_when_the_body_raises(learner):
    """connection releases the connection even when the body of `async with` raises"""
    log = Log()
    pool = Pool(log)
    error = ValueError("bad query")

    given, made = [], []

    async def scenario(connection):
        manager = await manager_of(connection, pool)
        made.append(manager)
        try:
            async with manager as conn:
                given.append(conn)
                log.add(f"the body got {conn!r} and raises ValueError")
                raise error
        except ValueError as raised:
            return raised
        return None

    text = "`async with connection(pool) as conn:` with a body that raises"
    call = run(learner, "connection", scenario, text)
    came_out = passed_on(call)
    got_the_connection(text, given[0] if given else None, "conn-1", log)
    if pool.released != ["conn-1"]:
        raise CheckFailed(
            f"Called {text}. The connection was not released.",
            "`conn = await pool.acquire()`, then `try: yield conn` `finally: await pool.release(conn)`.",
            str(log),
        )
    if came_out is not error:
        raise CheckFailed(
            f"Called {text}. The body's ValueError did not come out of the `async with`: it was swallowed.",
            swallow_advice(made, learner, "Release in a `finally:` and let the exception out."),
        )


def test_connection_two_at_once_release_their_own(learner):
    """two `async with connection(pool)` at the same time: each body gets its own connection, and each is released"""
    log = Log()
    pool = Pool(log)
    given = {}

    async def scenario(connection):
        async def body(name, seconds):
            async with await manager_of(connection, pool) as conn:
                given[name] = conn
                log.add(f"body {name} got {conn!r}")
                await asyncio.sleep(seconds)
            log.add(f"body {name} is done")

        await asyncio.gather(body("A", 1.0), body("B", 2.0))

    text = "two `async with connection(pool) as conn:` at the same time"
    call = run(learner, "connection", scenario, text)
    passed_on(call)
    got_the_connection(text, given.get("A"), "conn-1", log)
    got_the_connection(text, given.get("B"), "conn-2", log)
    twice = [c for c in ("conn-1", "conn-2") if pool.release_calls.count(c) > 1]
    lost = [c for c in ("conn-1", "conn-2") if c not in pool.released]
    if lost and not twice:
        raise CheckFailed(
            f"Called {text}. Body A got 'conn-1' and body B 'conn-2', but by the end "
            f"{' and '.join(map(repr, lost))} had not been released (pool.release calls: "
            f"{pool.release_calls!r}): each `async with` must release its connection, and the release must "
            "have finished when the `async with` ends (awaited, not left in a task).",
            "`conn = await pool.acquire()`, then `try: yield conn` `finally: await pool.release(conn)`.",
            str(log),
        )
    if sorted(pool.released) != ["conn-1", "conn-2"]:
        raise CheckFailed(
            f"Called {text}. Body A got 'conn-1' and body B 'conn-2', but pool.release was called with "
            f"{pool.release_calls!r}: {' and '.join(map(repr, lost)) or 'a connection'} never released. Each "
            "`async with` must release the connection its own body got; here it was kept where the other "
            "`async with` overwrote it (a class attribute? a global?).",
            "Keep the connection with its own `async with`: `self.conn` on the instance (not on the class), "
            "or a local in an @asynccontextmanager function.",
            str(log),
        )


def test_connection_releases_when_cancelled(learner):
    """a task cancelled inside `async with connection(pool)` gets its connection released, and ends cancelled"""
    log = Log()
    pool = Pool(log)

    made = []

    async def scenario(connection):
        inside = asyncio.Event()

        async def body():
            made.append(await manager_of(connection, pool))
            async with made[0] as conn:
                log.add(f"the body got {conn!r} and waits")
                inside.set()
                await asyncio.sleep(10)
                log.add("the body ended (it should have been cancelled)")

        task = asyncio.create_task(body())
        waiter = asyncio.create_task(inside.wait())
        await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task.done():
            return task.result()  # it failed before the body: your error, with its line
        await asyncio.sleep(0.5)
        log.add("the task is cancelled")
        task.cancel()
        await asyncio.wait([task])
        log.add(
            "the task ended "
            + ("cancelled" if task.cancelled() else "without being cancelled")
        )
        return task.cancelled()

    text = "`async with connection(pool) as conn:` in a task cancelled inside the body"
    call = run(learner, "connection", scenario, text)
    cancelled = passed_on(call)
    if pool.release_calls and pool.released != ["conn-1"]:
        raise CheckFailed(
            f"Called {text}. The task was cancelled at 1 s; pool.release was called but had not finished "
            "when the test ended: the release was not awaited where it was called (left in a task?).",
            "`finally: await pool.release(conn)`: the `async with` ends only once the release is done.",
            str(log),
        )
    if pool.released != ["conn-1"]:
        raise CheckFailed(
            f"Called {text}. The task was cancelled at 1 s, and its connection was never released. "
            "Cancelling raises asyncio.CancelledError inside the body, and CancelledError is a BaseException, "
            "not an Exception: a release in `except Exception:` around the `yield`, or after it, never runs.",
            "Release in a `finally:`: `try: yield conn` `finally: await pool.release(conn)`; it runs on every "
            "way out, cancellation included.",
            str(log),
        )
    if not cancelled:
        raise CheckFailed(
            f"Called {text}. The connection was released, but the task did not end cancelled: the "
            "CancelledError was swallowed, so whoever cancelled it believes it finished normally.",
            swallow_advice(made, learner, "Don't catch the exception in connection: release in a `finally:` and let it out."),
            str(log),
        )
