"""Every learner-facing text of the harness, in one place (the kit's tests import them).

Exercise-specific verdicts live beside their checks; these are the ones any exercise
can meet. Placeholders are filled with ``str.format``.
"""

import asyncio

NOT_IMPLEMENTED = "{function} is not implemented yet — see {readme}"
NOT_IMPLEMENTED_LINE = "(It raises NotImplementedError at {where}: remove that line once your code is in.)"
MISSING_FILE = "{file} is missing from {folder}: put your solution in that file (the stub is {stub})."
MISSING_FUNCTION = (
    "{file} has no function named {function}. Did you rename or delete it? "
    "The tests call {function}(...) as the stub defines it."
)
SYNTAX_ERROR = "{file}:{line}: SyntaxError: {msg}. Python could not read your file; fix that line first."
NO_LINE_OF_YOURS = "{file} (no line of yours: Python raised it while using what your code gave it)"
ASYNC_SYNTAX = (
    "Only an `async def` may hold `await`, `async for` or `async with`: make the function around line {line} "
    "`async def`, or, from plain code, run a coroutine with `asyncio.run(...)`."
)
IMPORT_FAILED = "{file}:{line}: importing your file raised {error}. Code at the top level of a module runs on import."
STUCK_BEFORE = (
    "{function} was stopped at the time limit in an earlier check (see that check's message), "
    "so it is not run again."
)
PLAIN_DEF = (
    "A plain def that returns asyncio.gather(...) or a task starts the work the moment it is called, "
    "before anyone awaits it. Write `async def {function}(...)` and await inside it."
)
GATHER_PLAIN_DEF = (
    "A plain def that returns asyncio.gather(...) starts the fetches the moment {function} is called, "
    "before anyone awaits it. Write `async def {function}(...)` and `return await asyncio.gather(...)`."
)
NOT_ASYNC_DEF = "{function} must be a coroutine function: define it with `async def`, not `def`."
ASYNC_GENERATOR = (
    "{function} is an async generator function: an `async def` with `yield` in it gives an async generator "
    "when called, not a coroutine, so `await {function}(...)` fails. {function} must return its result."
)
IMPORT_TIMEOUT = (
    "{file}:{line}: importing your file did not finish in time. Code at the top level of a "
    "module runs on import: an endless loop or a long wait there stops every test."
)
IMPORT_ENDED = (
    "{file}: importing your file ended its process ({status}). Code at the top level of a module runs "
    "on import: `os._exit`, a crash or a signal there stops every test."
)
NOT_ASYNC = (
    "{function} must be a coroutine function (async def): calling it returned {got} "
    "instead of a coroutine."
)
RETURNED_AWAITABLE = (
    "Called {call}. It returned {kind} instead of a result: something it returns was never awaited"
)
RETURNED_AWAITABLE_ADVICE = "Await it before returning: `return await ...`."
LOST_EXCEPTION = (
    "Called {call}. A task it started raised {error} (at {where}) and nothing ever awaited that "
    "task: the error was lost (\"Task exception was never retrieved\")."
)
LOST_EXCEPTION_ADVICE = (
    "Await every task you create (or gather them, or use a TaskGroup), so its errors reach you; "
    "a task you fire and forget needs a done callback that reads task.exception()."
)
RAISED = "Called {call}. It raised {error} at {where}."
NESTED_RUN = (
    "Called {call}. It called {what} while the event loop was already running. "
    "Inside async def, await the coroutine instead: asyncio.run() starts a loop, and only "
    "the outermost code (not a coroutine) may do that."
)
BLOCKING_CALL = (
    "Called {call}. It made a blocking call, {what}, at {where}: while it runs the event loop "
    "is frozen and nothing else can make progress."
)
BLOCKING_ADVICE = {
    "time.sleep": "Use `await asyncio.sleep(...)`, which pauses only this coroutine.",
    "requests": "Use an async HTTP client (aiohttp), or run the call in a thread with asyncio.to_thread.",
    "io.": "Read and write files with aiofiles (`async with aiofiles.open(...)`), or in a thread with asyncio.to_thread.",
    "future.result": "A concurrent.futures future's .result() waits in the loop's own thread: "
    "`await asyncio.wrap_future(future)` waits without blocking it.",
    "default": "Use the async equivalent, or move the call to a thread with `await asyncio.to_thread(...)`.",
}
LOOP_HELD = (
    "Called {call}. One step of your code held the event loop for {real:.2f} s of real time "
    "({cpu:.2f} s of it computing) without reaching an await{where}: every other coroutine "
    "was frozen meanwhile."
)
LOOP_HELD_ADVICE = (
    "Look for a loop with no await in it (one whose condition never changes never ends), heavy "
    "computation, or a blocking call. Fix an endless loop; pause long work with `await ...`, or move "
    "it off the loop with asyncio.to_thread / run_in_executor."
)
STATIC_FINDINGS = "Blocking calls in your async code: {findings}."
HUNG = (
    "Called {call}. It had not finished after {limit:g} s of loop time{expected}: it is waiting "
    "for something that never happens."
)
HUNG_ADVICE = "Likely causes: {causes}."
DEFAULT_HANG_CAUSES = (
    "a missing await",
    "a task or future that nothing ever completes",
    "a loop (a consumer, a retry) that never ends",
)
BUSY_WAIT = (
    "Called {call}. It kept the event loop spinning through {callbacks:,} steps in {loop_time:.1f} s "
    "of loop time without finishing: a loop like `while not done: await asyncio.sleep(0)` polls "
    "instead of waiting."
)
BUSY_WAIT_ADVICE = "Wait for the thing itself (await the task, an Event, a Queue) instead of polling."
CALLS_DONE = " The {count} call{s} it made had finished by {at:g} s."
CALLS_REPEATED = (
    " It called {name} {count} times for {distinct} different items: a loop that never moves on "
    "(a counter that is never increased?)."
)
IGNORED_CANCEL = " When it was cancelled it did not stop: CancelledError was caught and not re-raised."
FOREIGN_LOOP = (
    "Called {call}. The {probe} you were given was awaited on a different event loop "
    "(asyncio.run or a new loop inside your code). Await it directly in your coroutine."
)
UNSTOPPABLE = (
    "This check was stopped after {limit:g} s of real time, and your code went on running "
    "{grace:g} s more: it caught the exception that stops it. An `except:` or `except "
    "BaseException:` inside a loop swallows everything, cancellation included; catch only "
    "the exceptions you expect (`except ValueError:`), or re-raise."
)

STUCK_AT_EXIT = (
    "awaitlings: pytest could not finish: code left behind by a check kept running while Python "
    "cleaned up (a coroutine that catches everything, even its own closing). The run was ended."
)

REAL_TIMEOUT = (
    "This check did not finish within {limit:g} s of real time, so it was stopped. "
    "Your code is stuck in a loop that never reaches an await (a busy loop), or in a call "
    "that blocks for a long time."
)

COROUTINE_VALUE = ("That value is a coroutine object: calling an `async def` function only creates one, nothing "
                   "has run yet. `await` it (in async code) or `asyncio.run(...)` it (in plain code) to run it and get "
                   "its result.")
AITER = ("`__aiter__` returns an async iterator, usually `self`, whose `async def __anext__` gives the next item "
         "(or write an `async def` with `yield`, which makes one for you).")
# (exception type, text it contains, advice): mistakes whose error message does not teach.
KNOWN_ERRORS = (
    (TypeError, "unhashable type: 'list'", "asyncio.gather takes the awaitables as separate arguments: "
     "`asyncio.gather(*coroutines)`, with a star, not a list."),
    (TypeError, "awaitable is required", "asyncio.gather takes the awaitables as separate arguments: "
     "`asyncio.gather(*coroutines)`, with a star, not a list."),
    (NameError, "'asyncio' is not defined", "Add `import asyncio` at the top of your file."),
    (Exception, "Result is not set", "That task had not finished yet: `await task` waits for it and "
     "gives its result (task.result() only reads a finished one; the tasks of an `async with "
     "asyncio.TaskGroup()` block are all finished once the block has ended)."),
    (TypeError, "can't be used in 'await' expression", "Only awaitables can be awaited: a coroutine, "
     "a Task or a Future. Call an `async def` function and await what it returns; `async for` awaits what "
     "`__anext__` returns, so an async iterator's `__anext__` is an `async def`."),
    (TypeError, "aiter() returned not an async iterator", AITER),
    (TypeError, "from __aiter__ that does not implement __anext__", AITER),
    (TypeError, "received an invalid object from __anext__", "`async for` awaits what `__anext__` returns: make "
     "`__anext__` an `async def` (or write an `async def` with `yield`, which makes one for you)."),
    (RuntimeError, "raised StopIteration", "An async iterator ends with `raise StopAsyncIteration` in `__anext__`; "
     "an async generator ends by returning. StopIteration is for plain iterators."),
    (TypeError, "'coroutine' object is not callable", "A coroutine object went where a function is expected: "
     "hand over the function itself (`fetch`, not `fetch(url)`) and let the code you give it to call it."),
    (Exception, "'coroutine' object", COROUTINE_VALUE),
    (TypeError, "non-iterable coroutine object", COROUTINE_VALUE),
    (asyncio.CancelledError, "", "Awaiting a task that was cancelled raises CancelledError in the code that "
     "awaits it. If you cancelled it yourself, catch that around the `await` (`except asyncio.CancelledError: "
     "pass`), or wait for it with `await asyncio.wait({task})`."),
    (RuntimeError, "is bound to a different event loop", "Every call runs on an event loop of its own, and an "
     "asyncio Lock, Event, Condition, Semaphore or Queue belongs to the loop that first used it: make it inside the "
     "function that uses it, not at the top of the module."),
    (TypeError, "does not support the context manager protocol", "That object is an async context manager "
     "(aiofiles.open(...), an asyncio lock, a session): enter it with `async with`, not `with`."),
    (TypeError, "does not support the asynchronous context manager protocol", "That object is an ordinary context "
     "manager (the built-in open(), a threading lock): `async with` takes an async one, such as aiofiles.open(...) "
     "or an asyncio.Lock."),
    (TypeError, "AsyncTextIOWrapper' object is not iterable", "An aiofiles file gives its lines to `async for line "
     "in f:`, not `for`."),
    (TypeError, "'async_generator' object is not iterable", "An async generator gives its items to `async for`, "
     "not `for`."),
    (TypeError, "object is not callable", "A value went where a function is expected: hand over the function "
     "and its arguments separately, e.g. `loop.run_in_executor(executor, count_primes, n)`, not "
     "`count_primes(n)`, which computes it right away."),
)

STUCK_THREADS = (
    "awaitlings: a thread your code started was still running when the tests ended "
    "(a worker waiting for something that never came); pytest stopped without waiting for it."
)

ESCAPED = (
    "This check could not finish judging: {kind} came out of it{where}. Your code raised it, or handed back "
    "an object that raises it when compared, iterated or printed. Return plain values, and let only "
    "ordinary exceptions (subclasses of Exception) out."
)
SKIPPED = "Your code skipped this check (pytest.skip, or pytest's Skipped raised): a check cannot be skipped, so it fails."
TAMPERED_START = "Your code changed "
TAMPERED = (
    TAMPERED_START + "{names} while the checks ran. The checks rely on the grader, asyncio and the "
    "clocks as they are: a solution must not modify them, so no check of this exercise counts."
)

NO_FORK = "os.fork is not allowed in a graded check: use asyncio, threads, or a process pool."


KIT_CHECKS_KEPT = (
    "awaitlings: a sandbox run (--awaitlings-key-fd) in the kit itself: its check files are kept, so learner "
    "code run here can read them. Grade with `awaitlings grade`, which copies the checks into a sandbox."
)


def printable(text: str, limit: int) -> str:
    """``text`` as one line a terminal, a CSV cell or a page shows as it is: every control or
    unprintable character (escape sequences, newlines) a ``?``, at most ``limit`` characters."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
