"""Hidden checks of exercise 10: broadcast, handle_client, start_chat and stop_chat.

Every check runs the learner's server inside the harness's own virtual-time loop, on
127.0.0.1 port 0, and talks to it with real TCP clients opened in that same loop
(``Peer``). A client that must *not* receive something is judged in loop time ("no such
line within 5 s"), or better, by a later line that proves the server went past that
point: TCP keeps each connection's lines in order, so what came before it came first.

What the checks observe, besides what each client receives:

- ``clients``, the dict the check hands to the learner (name -> StreamWriter): who is
  in the room at any moment, and the server-side writer of each client (its buffer);
- every task started from the learner's file (a task factory on the loop): a handler
  that crashed, with its exception and line, and which client it was serving;
- the Server's ``wait_closed()`` (wrapped on the instance): whether stop_chat awaited it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import socket
import struct
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from grader import messages
from grader.failure import CheckFailed
from grader.learner import error_text, line_of, short

HOST = "127.0.0.1"
WAIT = 5.0  # loop seconds granted to a line or a change that should come (it takes 0 s)
POLL = 0.05  # loop seconds between looks at `clients`
ECHO = "hello from ada"  # what ada says when the check looks for an echo

LINE_FORMAT = (
    'Send each message to the others as one line, `f"{name}: {text}\\n"`: the sender\'s name, '
    "a colon and a space, the text without its newline, then a newline."
)
OTHERS = (
    "In broadcast, skip the sender: `if name == sender: continue`, and have handle_client pass "
    "its client's name as `sender`."
)
CATCH = (
    "Each client is on its own: wrap the write and the drain for ONE client in "
    "`try: ... except ConnectionError: ...` inside the loop, so a client that is gone is "
    "skipped and the others still get the line."
)
REMOVE = (
    "Put the reading loop in `try:` and the goodbye in `finally:`: there, `del clients[name]`, "
    "tell the others `* name left` and close the writer. readline() returns b'' when the client "
    "closed the connection, and raises ConnectionResetError when it vanished: catch "
    "ConnectionError so both end the same way."
)
CONCURRENT = (
    "asyncio.start_server already runs one handle_client task per connection, all at the same "
    "time: let it. Don't hold a lock for a whole session, and don't await one client's handler "
    "before accepting the next."
)
DRAIN = (
    "write() only puts the bytes in a buffer; `await writer.drain()` after it waits while that "
    "buffer is over its limit, so a client that doesn't read slows its sender down instead of "
    "filling the server's memory (backpressure)."
)
COPY = (
    "Loop over a copy, `for name, writer in list(clients.items()):`: while broadcast waits in "
    "drain(), other handlers add and remove clients, and a dict changed during a `for` over it "
    "raises RuntimeError."
)
SHUTDOWN = (
    "In stop_chat: `server.close()` (stop accepting), then close every client's writer "
    "(`for writer in list(clients.values()): writer.close()`), then `await server.wait_closed()`."
)
SOCKETS = (
    "A plain socket's accept(), recv() and send() wait in the kernel and freeze the loop. asyncio.start_server "
    "accepts connections for you and hands each one to its handler as (reader, writer): "
    "`await reader.readline()`, `writer.write(data)`, `await writer.drain()` wait without blocking."
)
HANDLER_ARGUMENTS = (
    "asyncio.start_server calls the handler with two arguments, (reader, writer). To hand handle_client "
    "the clients dict too, pass `functools.partial(handle_client, clients)` to start_server."
)
START = (
    "start_chat only starts the server: `return await asyncio.start_server(functools.partial("
    "handle_client, clients), host, port)`. The server then runs on its own while the loop runs."
)


@contextlib.contextmanager
def asyncio_quiet():
    """asyncio logs "socket.send() raised exception." to stderr after 5 writes to a lost
    connection, from inside the learner's writer.write(): blockbuster would report that
    write to stderr as a blocking call of the learner's. The checks judge the writes."""
    asyncio_logger = logging.getLogger("asyncio")
    level = asyncio_logger.level
    asyncio_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        asyncio_logger.setLevel(level)


@contextlib.contextmanager
def stream_advice():
    """A blocking socket call, as the harness reports it, with the asyncio way to do it."""
    try:
        yield
    except CheckFailed as failure:
        if "blocking call, socket.socket." not in failure.message:
            raise
        raise CheckFailed(failure.message, SOCKETS, failure.detail) from None


class Verdict(Exception):
    """A check's own verdict, raised inside the scenario and re-raised outside it."""

    def __init__(self, failure: CheckFailed) -> None:
        super().__init__(failure.message)
        self.failure = failure


def fail(message: str, advice: str | None = None, detail: str | None = None) -> Verdict:
    return Verdict(CheckFailed(message, advice, detail))


def listed(names: list[str]) -> str:
    """'ada', 'ada and bob', 'ada, bob and cy'."""
    return names[0] if len(names) <= 1 else ", ".join(names[:-1]) + " and " + names[-1]


def shown_lines(lines: list[str]) -> str:
    if not lines:
        return "nothing"
    if len(lines) > 6:
        return f"{len(lines)} lines, starting {short(lines[:4])[:-1]}, ...]"
    return short(lines)


def kib(size: int) -> str:
    return f"{size / 1024:.0f} KiB"


# --- a client of the learner's server --------------------------------------------------------


class Peer:
    """A real TCP client in the check's loop. A background task reads everything the server
    sends, split into lines (``lines``; an unfinished one is kept in ``partial``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: list[str] = []
        self.partial = b""
        self.port = 0  # our local port: the server sees it as the client's port
        self.ended = False  # the server closed the connection (end of file) or reset it
        self.left = False  # we closed it ourselves
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._news = asyncio.Event()
        self._pump: asyncio.Task | None = None

    async def connect(
        self, port: int, *, rcvbuf: int | None = None, read: bool = True
    ) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setblocking(False)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        try:
            await loop.sock_connect(sock, (HOST, port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self.reader, self.writer = await asyncio.open_connection(sock=sock)
        if read:
            self._pump = asyncio.create_task(self._read_all())

    async def _read_all(self) -> None:
        try:
            while data := await self.reader.read(1 << 16):
                *complete, self.partial = (self.partial + data).split(b"\n")
                self.lines += [
                    c.decode(errors="replace").rstrip("\r") for c in complete
                ]
                self._notify()
        except (ConnectionError, OSError):
            pass
        if not self.left:
            self.ended = True
        self._notify()

    def _notify(self) -> None:
        news, self._news = self._news, asyncio.Event()
        news.set()

    async def wait_until(self, test: Callable[[], bool], within: float = WAIT) -> bool:
        """Wait, in loop time, until ``test()`` holds after some news from the server."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not test():
            left = deadline - loop.time()
            if left <= 0:
                return False
            news = self._news
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(news.wait(), left)
        return True

    async def receives(self, line: str, within: float = WAIT) -> bool:
        return await self.wait_until(lambda: line in self.lines, within)

    def say(self, text: str) -> None:
        self.writer.write(text.encode() + b"\n")

    def leave(self) -> None:
        """Close the connection cleanly (the server reads end of file)."""
        self.left = True
        self.writer.close()

    def drop(self) -> None:
        """Vanish without a goodbye: the connection is reset (the server's read raises)."""
        self.left = True
        sock = self.writer.get_extra_info("socket")
        with contextlib.suppress(OSError):
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        self.writer.transport.abort()

    def close_quietly(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        if self.writer is not None:
            self.writer.transport.abort()


# --- the learner's server, watched -------------------------------------------------------------


CALLING_HANDLER = "<calling the handler>"  # a Crash of asyncio's call of the handler (wrong arguments): no task ran


@dataclass
class Crash:
    """A task started from the learner's file that raised."""

    error: BaseException
    port: int | None  # the client port of the connection it served, if it served one
    task_name: str
    function: str = "handle_client"  # the learner's coroutine function the task ran; CALLING_HANDLER: no task


class Chat:
    """One run of the learner's chat server with the check's clients."""

    def __init__(self, learner: Any, functions: dict[str, Callable[..., Any]]) -> None:
        self.learner = learner
        self.files = learner.files
        self.functions = functions
        self.clients: dict[Any, Any] = {}
        self.server: Any = None
        self.port = 0
        self.peers: dict[str, Peer] = {}
        self.joined: list[str] = []
        self.crashes: list[Crash] = []
        self.learner_tasks: list[asyncio.Task] = []

    # the loop ----------------------------------------------------------------------------

    def watch_tasks(self) -> None:
        """Note every task whose coroutine comes from the learner's file, and its exception
        (retrieving it: the check reports it, with the client it served)."""
        loop = asyncio.get_running_loop()
        previous = loop.get_task_factory()

        def factory(
            loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
        ) -> asyncio.Task:
            if previous is not None:
                task = previous(loop, coro, **kwargs)
            else:
                task = asyncio.Task(coro, loop=loop, **kwargs)
            code = getattr(coro, "cr_code", None)
            if code is not None and code.co_filename in self.files:
                self.learner_tasks.append(task)
                port = served_port(coro)
                task.add_done_callback(
                    lambda done: self._task_done(done, port, code.co_name)
                )
            return task

        loop.set_task_factory(factory)
        handler = loop.get_exception_handler()

        def note(loop: asyncio.AbstractEventLoop, context: dict) -> None:
            error = context.get("exception")
            if error is not None and "connection_made" in str(context.get("message")):  # asyncio's callback
                self.crashes.append(Crash(error, None, "", CALLING_HANDLER))  # handle_client(reader, writer) failed
            if handler is not None:
                handler(loop, context)

        loop.set_exception_handler(note)

    def _task_done(self, task: asyncio.Task, port: int | None, function: str) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self.crashes.append(Crash(error, port, task.get_name(), function))

    def where(self, error: BaseException) -> str:
        return line_of(error, self.learner)

    def serving(self, crash: Crash) -> str:
        """'the handle_client serving ada' for a crash; a task of another function of
        the learner's (a helper that writes to ada, started by broadcast) by its name."""
        for peer in self.peers.values():
            if crash.port is not None and peer.port == crash.port:
                if crash.function != "handle_client":
                    return f"your task {crash.function}(), on {peer.name}'s connection,"
                return f"the handle_client serving {peer.name}"
        if crash.function not in ("handle_client", "<lambda>"):
            return f"your task {crash.function}()"
        return "a task of yours"

    def crash_text(self, crash: Crash) -> str:
        if crash.function == CALLING_HANDLER:
            return (f"asyncio could not start serving the connection: calling your handler raised "
                    f"{error_text(crash.error)}")
        return f"{self.serving(crash)} crashed: it raised {error_text(crash.error)} at {self.where(crash.error)}"

    def crash_of(self, name: str) -> Crash | None:
        peer = self.peers.get(name)
        return next(
            (c for c in self.crashes if peer is not None and c.port == peer.port), None
        )

    def stub_raised(self) -> None:
        """A crash that is an unimplemented stub is reported by the harness, as everywhere."""
        for crash in self.crashes:
            frames = traceback.extract_tb(crash.error.__traceback__)
            if (
                isinstance(crash.error, NotImplementedError)
                and frames
                and frames[-1].filename in self.files
            ):
                raise crash.error

    def crashed(
        self, situation: str, advice: str | None = None, crash: Crash | None = None
    ) -> Verdict | None:
        """A verdict naming the first crash (or ``crash``), if any task of the learner crashed."""
        self.stub_raised()
        crash = crash or (self.crashes[0] if self.crashes else None)
        if crash is None:
            return None
        error = crash.error
        if advice is None:
            if crash.function == CALLING_HANDLER and isinstance(error, TypeError):
                advice = HANDLER_ARGUMENTS
            elif isinstance(error, RuntimeError) and "during iteration" in str(error):
                advice = COPY
            elif isinstance(error, ConnectionError):
                advice = (
                    CATCH
                    if "drain" in self.where(error) or "write" in self.where(error)
                    else REMOVE
                )
            else:
                advice = next(
                    (
                        a
                        for kind, text, a in messages.KNOWN_ERRORS
                        if isinstance(error, kind) and text in str(error)
                    ),
                    None,
                )
        return fail(f"{situation} Then {self.crash_text(crash)}.", advice)

    # the server ----------------------------------------------------------------------------

    async def start(self) -> None:
        self.watch_tasks()
        start_chat = self.functions["start_chat"]
        task = asyncio.ensure_future(start_chat(self.clients, HOST, 0))
        done, _ = await asyncio.wait({task}, timeout=WAIT)
        if not done:
            task.cancel()
            raise fail(
                f"Called start_chat(clients, {HOST!r}, 0). It had not returned after {WAIT:g} s of loop time: "
                "start_chat must start the server and return it at once, so that the rest of the program "
                "(here, the tests' clients) can run while it serves. Awaiting server.serve_forever(), or "
                "anything that waits for the clients, never returns.",
                START,
            )
        # an exception of the learner's is reported with its line
        self.server = task.result()
        self.port = self.port_of(self.server)

    @staticmethod
    def port_of(server: Any) -> int:
        sockets = getattr(server, "sockets", None)
        if sockets:
            return sockets[0].getsockname()[1]
        if isinstance(server, socket.socket):
            return server.getsockname()[1]
        if server is None:
            raise fail(
                f"Called start_chat(clients, {HOST!r}, 0). It returned None.",
                "Did you forget the `return`? " + START,
            )
        raise fail(
            f"Called start_chat(clients, {HOST!r}, 0). It returned {short(server)} ({type(server).__name__}); expected "
            "the asyncio.Server that asyncio.start_server returns, listening on that host and port.",
            START,
        )

    async def until(self, test: Callable[[], bool], within: float = WAIT) -> bool:
        """Look at the room every POLL seconds of loop time until ``test()`` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not test():
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(POLL)
        return True

    def present(self, name: str) -> bool:
        return self.entry(name) is not None

    def entry(self, name: str) -> Any:
        """clients[name], found by exact str keys: a dict lookup would ask the learner's key objects
        whether they equal the name (and one that always says yes would stand in for every name)."""
        return next((v for k, v in list(self.clients.items()) if type(k) is str and k == name), None)

    async def connect(self, name: str, **options: Any) -> Peer:
        peer = Peer(name)
        try:
            await peer.connect(self.port, **options)
        except OSError as error:
            raise fail(
                f"Started start_chat(clients, {HOST!r}, 0); the server it returned listens on port {self.port}. "
                f"Connecting {name} to 127.0.0.1:{self.port} failed: {error_text(error)}.",
                START,
            ) from None
        self.peers[name] = peer
        return peer

    def writer_of(self, name: str, peer: Peer) -> asyncio.StreamWriter:
        """clients[name], which must be the server's StreamWriter of that client's connection."""
        writer = self.entry(name)
        story = f"Started start_chat(clients, {HOST!r}, 0); {name} connected and sent {name!r}. clients[{name!r}] is"
        if type(writer) is not asyncio.StreamWriter:  # exactly: __class__ can say StreamWriter for anything
            raise fail(
                f"{story} {short(writer)} ({type(writer).__name__}); expected the StreamWriter of {name}'s connection.",
                "handle_client gets (reader, writer) for its connection: `clients[name] = writer`.",
            )
        address = writer.get_extra_info("peername")
        if not address or address[1] != peer.port:
            raise fail(
                f"{story} a StreamWriter, but not the one of {name}'s connection.",
                "Store the writer handle_client was given for this connection: `clients[name] = writer`.",
            )
        return writer

    def dropped(self) -> list[Peer]:
        """Clients that joined and never left, but are out of `clients` or were disconnected."""
        return [
            p
            for p in self.peers.values()
            if p.name in self.joined
            and not p.left
            and (p.ended or not self.present(p.name))
        ]

    async def join(
        self, *names: str, rcvbuf: dict[str, int] | None = None
    ) -> list[Peer]:
        """Connect each client in turn, send its name, and wait until it is in `clients`."""
        joined = []
        for name in names:
            slow = (rcvbuf or {}).get(name)
            peer = await self.connect(name, rcvbuf=slow, read=slow is None)
            peer.say(name)
            if not await self.until(functools.partial(self.present, name)):
                here = [
                    p
                    for p in self.peers.values()
                    if p.name in self.joined and not p.left
                ]
                await self.not_joined(peer, here)
            joined.append(peer)
            self.joined.append(name)
        return joined

    async def not_joined(self, peer: Peer, before: list[Peer]) -> None:
        """Why a client that sent its name never appeared in `clients`."""
        name = peer.name
        story = f"Started start_chat(clients, {HOST!r}, 0). {name} connected and sent the line {name + chr(10)!r}"
        if before:
            story = (
                f"Started start_chat(clients, {HOST!r}, 0); {listed([p.name for p in before])} joined. Then {name} "
                f"connected and sent the line {name + chr(10)!r}"
            )
        verdict = self.crashed(f"{story}.", crash=self.crash_of(name))
        if verdict:
            raise verdict
        keys = list(self.clients)
        if before:
            others = listed([p.name for p in before])
            for other in before:
                other.leave()
            if await self.until(lambda: self.present(name)):
                raise fail(
                    f"{story}, but {WAIT:g} s later {name} was still not in clients: no one read {name}'s "
                    f"connection while {others} {'was' if len(before) == 1 else 'were'} connected. As soon as "
                    f"{others} left, {name} joined: the server serves one client at a time.",
                    CONCURRENT,
                )
            verdict = self.crashed(f"{story}.")
            if verdict:
                raise verdict
        hint = None
        stripped = [
            k
            for k in keys
            if k != name
            and isinstance(k, (str, bytes))
            and (k.decode(errors="replace") if isinstance(k, bytes) else k).strip()
            == name
        ]
        if stripped:
            hint = "The name is the first line, decoded to a str and without its newline: `name = (await reader.readline()).decode().strip()`, then `clients[name] = writer`."
        elif keys and all(not isinstance(k, str) for k in keys):
            hint = "clients maps each client's NAME (a str) to its StreamWriter: `clients[name] = writer`."
        else:
            hint = "In handle_client, read the first line (the name), then `clients[name] = writer`, before the loop over the messages."
        raise fail(
            f"{story}. {WAIT:g} s later the names in clients were {short(keys)}: expected {name!r} among them, "
            "mapped to the StreamWriter of that connection.",
            hint,
        )

    async def cleanup(self) -> None:
        """Leave nothing running that the harness must cut: clients, server, connections."""
        for peer in self.peers.values():
            with contextlib.suppress(Exception):
                peer.close_quietly()
        with contextlib.suppress(Exception):
            self.server.close()
        for writer in (
            list(self.clients.values()) if isinstance(self.clients, dict) else []
        ):
            with contextlib.suppress(Exception):
                writer.close()
        await asyncio.sleep(0)


def served_port(coro: Any) -> int | None:
    """The client port of the StreamWriter a learner coroutine was given, if any."""
    frame = getattr(coro, "cr_frame", None)
    for value in frame.f_locals.values() if frame is not None else ():
        if isinstance(value, asyncio.StreamWriter):
            with contextlib.suppress(Exception):
                return value.get_extra_info("peername")[1]
    return None


def need(learner: Any, *names: str) -> dict[str, Callable[..., Any]]:
    """The learner's functions by name; each must exist and be a coroutine function."""
    found = {}
    for name in names:
        function = learner.function(name)
        if not inspect.iscoroutinefunction(function):
            raise CheckFailed(messages.NOT_ASYNC_DEF.format(function=name))
        found[name] = function
    return found


def run_chat(
    learner: Any,
    script: Callable[[Chat], Awaitable[Any]],
    *,
    name: str = "start_chat",
    text: str | None = None,
    uses: tuple[str, ...] = ("start_chat",),
) -> Any:
    """Run ``script(chat)`` on the harness loop; re-raise the check's own verdict."""
    functions = need(learner, *uses)

    async def scenario(_function: Callable[..., Any]) -> Any:
        chat = Chat(learner, functions)
        try:
            return await script(chat)
        finally:
            await chat.cleanup()

    with (
        asyncio_quiet(),
        stream_advice(),
    ):  # quiet also while the harness cancels what is left running
        call = learner.run_scenario(
            name, scenario, text=text or f"start_chat(clients, {HOST!r}, 0)"
        )
    if isinstance(call.run.error, Verdict):
        raise call.run.error.failure
    call.result()  # anything the learner's code raised, with its line
    return call


# --- what a client did not receive -------------------------------------------------------------


def missed(
    chat: Chat, story: str, receiver: Peer, expected: str, advice: str | None = None
) -> Verdict:
    """Why ``receiver`` did not get ``expected`` within WAIT."""
    got = receiver.lines
    verdict = chat.crashed(f"{story} {receiver.name} never received {short(expected)}.")
    if verdict:
        return verdict
    dropped = chat.dropped()
    if dropped:
        gone = dropped[0].name
        how = "was no longer in clients" + (
            " and the server had closed the connection" if dropped[0].ended else ""
        )
        return fail(
            f"{story} {receiver.name} never received {short(expected)}. {gone} {how}, though {gone} never left: "
            f"something ended the handle_client serving {gone}. An exception about ANOTHER client (a ConnectionError "
            "from writing to a client that is gone) must not end this session as if its own client had left.",
            CATCH,
        )
    text = expected.split(": ", 1)[-1]
    near = [
        line
        for line in got
        if text in line or line.strip() == expected.replace(" ", "")
    ]
    if near:
        return fail(
            f"{story} {receiver.name} received {short(near[0])}; expected exactly {short(expected)}.",
            advice or LINE_FORMAT,
        )
    if receiver.partial:
        return fail(
            f"{story} {receiver.name} received {short(receiver.partial.decode(errors='replace'))} with no newline at "
            f"the end, so it is not a line yet: expected {short(expected)} and a newline.",
            'Every line the server sends ends with a newline: `writer.write((line + "\\n").encode())`.',
        )
    return fail(
        f"{story} Within {WAIT:g} s, {receiver.name} received {shown_lines(got)}; expected {short(expected)}.",
        advice,
    )


async def expect_line(
    chat: Chat,
    story: str,
    receivers: list[Peer],
    expected: str,
    advice: str | None = None,
) -> None:
    for peer in receivers:
        if not await peer.receives(expected):
            raise missed(chat, story, peer, expected, advice)


# --- the checks: the server ---------------------------------------------------------------------


@pytest.mark.points(1)
def test_a_client_joins_by_name(learner):
    """start_chat returns a listening server; a client's first line is its name, kept in clients"""

    async def script(chat: Chat) -> None:
        await chat.start()
        if type(chat.server) is not asyncio.Server:  # exactly: __class__ can say Server for anything
            raise fail(
                f"Called start_chat(clients, {HOST!r}, 0). It returned {short(chat.server)} "
                f"({type(chat.server).__name__}); expected the asyncio.Server that asyncio.start_server returns.",
                START,
            )
        (ada,) = await chat.join("ada")
        chat.writer_of("ada", ada)
        if len(chat.clients) != 1:
            raise fail(
                f"Started start_chat(clients, {HOST!r}, 0); only ada connected. clients was {short(chat.clients)}; "
                "expected only 'ada' in it.",
            )

    run_chat(learner, script)


@pytest.mark.points(2)
def test_messages_go_to_the_others(learner):
    """Each line a client sends reaches every other client as "name: text" """

    async def script(chat: Chat) -> None:
        await chat.start()
        ada, bob, cy = await chat.join("ada", "bob", "cy")
        story = f"Started start_chat(clients, {HOST!r}, 0); ada, bob and cy joined."
        for sender, text, others in (
            (ada, "hello everyone", [bob, cy]),
            (bob, "hi ada", [ada, cy]),
            (cy, "good morning", [ada, bob]),
        ):
            sender.say(text)
            said = f"{story} {sender.name} sent {text!r}."
            await expect_line(chat, said, others, f"{sender.name}: {text}")
        # each got cy's line last: TCP keeps the order, so all that came before it is there
        for peer in (ada, bob):
            end = peer.lines.index("cy: good morning")
            blank = next((n for n in range(end) if peer.lines[n] == ""), None)
            if blank is not None:
                after = f" right after {peer.lines[blank - 1]!r}" if blank else ""
                raise fail(
                    f"{story} Each of them sent a line. {peer.name} received an empty line{after} "
                    f"(all {peer.name} received: {shown_lines(peer.lines[: end + 1])}): the text was passed on "
                    "with its own newline still on it, and then another newline.",
                    LINE_FORMAT,
                )

    run_chat(learner, script)


@pytest.mark.points(2)
def test_sender_does_not_get_its_own_message(learner):
    """A client's message goes to the others, not back to the client who sent it"""

    async def script(chat: Chat) -> None:
        await chat.start()
        ada, bob = await chat.join("ada", "bob")
        story = f"Started start_chat(clients, {HOST!r}, 0); ada and bob joined. ada sent {ECHO!r}."
        ada.say(ECHO)
        await expect_line(chat, story, [bob], f"ada: {ECHO}")
        # once ada has bob's line, anything the server sent ada before it is there
        bob.say("ping")
        await expect_line(chat, f"{story} Then bob sent 'ping'.", [ada], "bob: ping")
        before = ada.lines[: ada.lines.index("bob: ping")]
        echoed = [line for line in before if ECHO in line]
        if echoed:
            raise fail(
                f"{story} The server sent ada's own message back to ada: it arrived as {echoed[0]!r} "
                f"(all ada received: {shown_lines(ada.lines)}). Every line goes to all the OTHER clients.",
                OTHERS,
            )

    run_chat(learner, script)


@pytest.mark.points(1)
def test_join_and_leave_notices(learner):
    """The others get "* bob joined" when bob joins and "* bob left" when bob leaves"""

    async def script(chat: Chat) -> None:
        await chat.start()
        (ada,) = await chat.join("ada")
        (bob,) = await chat.join("bob")
        story = f"Started start_chat(clients, {HOST!r}, 0); ada joined, then bob connected and sent 'bob'."
        await expect_line(
            chat,
            story,
            [ada],
            "* bob joined",
            'Once the name is read: `await broadcast(clients, f"* {name} joined", name)`.',
        )
        ada.say("welcome bob")
        await expect_line(
            chat, f"{story} Then ada sent 'welcome bob'.", [bob], "ada: welcome bob"
        )
        # once bob has ada's line, anything the server sent bob before it is there
        before = bob.lines[: bob.lines.index("ada: welcome bob")]
        bob.leave()
        await expect_line(
            chat,
            f"{story} Later bob closed the connection.",
            [ada],
            "* bob left",
            REMOVE,
        )
        if "* bob joined" in before:
            raise fail(
                f"{story} bob himself received '* bob joined' (all bob received: {shown_lines(before)}): a join "
                "notice goes to the OTHER clients, like every line.",
                'Pass the newcomer as the sender: `await broadcast(clients, f"* {name} joined", name)`.',
            )

    run_chat(learner, script)


@pytest.mark.points(2)
def test_disconnected_clients_are_removed(learner):
    """A client that leaves, cleanly or by vanishing, is removed from clients and the rest goes on"""

    async def script(chat: Chat) -> None:
        await chat.start()
        ada, bob, cy = await chat.join("ada", "bob", "cy")
        story = f"Started start_chat(clients, {HOST!r}, 0); ada, bob and cy joined."
        bobs = chat.entry("bob")
        bob.leave()
        story += " bob closed the connection (readline() gives b'' at the server)."
        if not await chat.until(lambda: not chat.present("bob")):
            raise not_removed(chat, story, "bob")
        if isinstance(bobs, asyncio.StreamWriter) and not await chat.until(
            bobs.transport.is_closing
        ):
            raise fail(
                f"{story} bob was removed from clients, but {WAIT:g} s later the server's side of bob's "
                "connection was still open: handle_client never closed its writer. Every connection left open "
                "keeps a socket, and on Python 3.12+ server.wait_closed() waits for it forever.",
                "When the session ends, close the connection: `writer.close()` in the `finally:` of handle_client.",
            )
        cy.drop()
        story += " Then cy vanished without a goodbye (the connection was reset: readline() raises ConnectionResetError)."
        if not await chat.until(lambda: not chat.present("cy")):
            raise not_removed(chat, story, "cy")
        await expect_line(chat, story, [ada], "* cy left", REMOVE)
        (dee,) = await chat.join("dee")
        ada.say("still here?")
        await expect_line(
            chat,
            f"{story} Then dee joined and ada sent 'still here?'.",
            [dee],
            "ada: still here?",
        )

    run_chat(learner, script)


def not_removed(chat: Chat, story: str, name: str) -> Verdict:
    verdict = chat.crashed(f"{story}", crash=chat.crash_of(name))
    if verdict:
        failure = verdict.failure
        return fail(f"{failure.message} {name} was never removed from clients.", REMOVE)
    return fail(
        f"{story} {WAIT:g} s later {name} was still in clients ({short(sorted(map(str, chat.clients)))}): a client "
        "that is gone must be removed, or every later broadcast writes to a dead connection.",
        REMOVE,
    )


@pytest.mark.points(2)
def test_serves_clients_at_the_same_time(learner):
    """Several clients are served at the same time: three speak at once and each hears the other two"""

    async def script(chat: Chat) -> None:
        await chat.start()
        peers = await chat.join("ada", "bob", "cy")
        story = f"Started start_chat(clients, {HOST!r}, 0); ada, bob and cy joined and all three spoke at once."
        for peer in peers:
            peer.say(f"{peer.name} here")
        for peer in peers:
            for other in peers:
                if other is not peer:
                    await expect_line(
                        chat, story, [peer], f"{other.name}: {other.name} here"
                    )

    run_chat(learner, script)


@pytest.mark.points(2)
def test_drains_for_a_slow_reader(learner):
    """A client that reads nothing does not make the server buffer everything for it (drain)"""
    lines = [f"line {n:03d} " + "x" * 990 for n in range(600)]

    async def script(chat: Chat) -> None:
        await chat.start()
        ada, cy, slow = await chat.join("ada", "cy", "slow", rcvbuf={"slow": 1024})
        writer = chat.writer_of("slow", slow)
        transport = writer.transport
        # A small kernel buffer towards slow: what the server cannot send stays in its write buffer.
        writer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
        )
        high = transport.get_write_buffer_limits()[1]
        for line in lines:
            ada.say(line)
        peak = 0
        for _ in range(10):
            await asyncio.sleep(0.1)
            peak = max(peak, transport.get_write_buffer_size())
        size = len(lines[0]) + len("ada: \n")
        story = (
            f"Started start_chat(clients, {HOST!r}, 0); ada, cy and slow joined. slow reads nothing; ada sent "
            f"{len(lines)} lines of 1 KiB ({kib(len(lines) * size)} to pass on)."
        )
        if peak > high + 2 * size:
            raise fail(
                f"{story} The server piled up {kib(peak)} in its write buffer for slow, and that grows with every "
                f"line: it never waited for slow to take them. With drain() the buffer stays under its limit "
                f"({kib(high)}) and ada's lines wait in the network instead.",
                DRAIN,
            )
        await chat.join("dee")
        slow.drop()
        story += " While slow still read nothing, dee joined; then slow vanished."
        last = f"ada: {lines[-1]}"
        if not await cy.receives(last):
            verdict = chat.crashed(
                f"{story} cy received {sum(line.startswith('ada: line') for line in cy.lines)} of ada's {len(lines)} lines."
            )
            if verdict:
                raise verdict
            raise missed(chat, story, cy, last)

    run_chat(learner, script)


@pytest.mark.points(2)
def test_stop_chat_closes_everything(learner):
    """stop_chat closes the server, disconnects every client and awaits server.wait_closed()"""
    seen: dict[str, Any] = {}

    async def script(chat: Chat) -> None:
        loop = asyncio.get_running_loop()
        await chat.start()
        server = chat.server
        if type(server) is not asyncio.Server:  # exactly: __class__ can say Server for anything
            raise fail(
                f"Called start_chat(clients, {HOST!r}, 0). It returned {short(server)} ({type(server).__name__}); "
                "expected the asyncio.Server that asyncio.start_server returns.",
                START,
            )
        ada, bob = await chat.join("ada", "bob")
        ada.say("bye all")
        story = f"Started start_chat(clients, {HOST!r}, 0); ada and bob joined."
        await expect_line(chat, f"{story} ada sent 'bye all'.", [bob], "ada: bye all")
        original = server.wait_closed
        connections = [
            w
            for w in (chat.entry("ada"), chat.entry("bob"))
            if type(w) is asyncio.StreamWriter
        ]

        given_up = asyncio.Event()

        async def wait_closed() -> None:
            seen["waited"] = loop.time()
            # As on Python 3.12+, on every version: wait_closed() returns only once every
            # client connection is closed, so closing them after it waits forever everywhere.
            while not all(w.transport.is_closing() for w in connections):
                if given_up.is_set():
                    return  # the check stopped waiting: it lets stop_chat go on, to see what follows
                await asyncio.sleep(POLL)
            await original()
            seen["closed"] = loop.time()

        server.wait_closed = wait_closed
        stop = asyncio.ensure_future(chat.functions["stop_chat"](chat.clients, server))
        done, _ = await asyncio.wait({stop}, timeout=WAIT)
        returned = bool(done)
        story = f"Started start_chat(clients, {HOST!r}, 0); ada and bob joined. Called stop_chat(clients, server)."
        if not returned and "waited" in seen and "closed" not in seen:
            # stuck in wait_closed() with connections open: does it close them once let go?
            given_up.set()
            await asyncio.wait({stop}, timeout=1.0)
            await ada.wait_until(lambda: ada.ended, 1.0)
            await bob.wait_until(lambda: bob.ended, 1.0)
            if ada.ended and bob.ended:
                raise fail(
                    f"{story} It awaited server.wait_closed() while the connections of ada and bob were still "
                    f"open, and had not returned after {WAIT:g} s of loop time; it closed them only after "
                    "wait_closed() returned. wait_closed() waits until every client connection is closed "
                    "(Python 3.12+; the check holds every version to that): disconnect the clients first, "
                    "then await it.",
                    SHUTDOWN,
                )
        if returned:
            error = stop.exception()
            if isinstance(error, RuntimeError) and "during iteration" in str(error):
                raise fail(
                    f"{story} It raised {error_text(error)} at {line_of(error, learner)}: each handle_client removes "
                    "its client from clients when the connection closes, and that happens while stop_chat waits.",
                    "Loop over a copy: `for writer in list(clients.values()):`.",
                )
            stop.result()  # an exception of the learner's is reported with its line
            at = loop.time()
            accepting = await still_accepting(chat.port)
            waited = seen.get("closed") is not None and seen["closed"] <= at
            await ada.wait_until(lambda: ada.ended, 1.0)
            await bob.wait_until(lambda: bob.ended, 1.0)
        else:
            stop.cancel()
            accepting = server.is_serving() or await still_accepting(chat.port)
            waited = False
        open_ = [p.name for p in (ada, bob) if not p.ended]
        if accepting:
            raise fail(
                f"{story} {'It returned, but' if returned else f'It had not returned after {WAIT:g} s, and'} the "
                "server still accepted new connections: it was never closed.",
                SHUTDOWN,
            )
        if open_:
            when = (
                "It returned, but 1 s later"
                if returned
                else f"It had not returned after {WAIT:g} s of loop time (on Python 3.12+, server.wait_closed() "
                "waits until every client connection is closed), and"
            )
            raise fail(
                f"{story} {when} the connections of {listed(open_)} were still open: the server stopped accepting, "
                "but the clients it had were never disconnected.",
                SHUTDOWN,
            )
        if not returned:
            raise fail(
                f"{story} It had not returned after {WAIT:g} s of loop time, though the server and every connection were closed.",
                SHUTDOWN,
            )
        if not waited:
            raise fail(
                f"{story} It closed the server and the connections but returned without awaiting "
                "server.wait_closed(): the server may still be shutting down when stop_chat returns.",
                SHUTDOWN,
            )

    run_chat(
        learner,
        script,
        name="stop_chat",
        text="stop_chat(clients, server)",
        uses=("start_chat", "stop_chat"),
    )


async def still_accepting(port: int) -> bool:
    """Whether a new connection to ``port`` is accepted."""
    loop = asyncio.get_running_loop()
    with socket.socket() as sock:
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, (HOST, port)), 1.0)
        except (OSError, TimeoutError):
            return False
        return True


# --- the checks: broadcast on its own -------------------------------------------------------------


class Room:
    """Connections made by the check: a server of the check's own on 127.0.0.1 whose
    server-side writers form the ``clients`` dict handed to broadcast."""

    def __init__(self, learner: Any) -> None:
        self.learner = learner
        self.clients: dict[str, asyncio.StreamWriter] = {}
        self.readers: dict[str, asyncio.StreamReader] = {}
        self.peers: dict[str, Peer] = {}
        self.server: asyncio.AbstractServer | None = None

    async def _arrive(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        name = (await reader.readline()).decode().strip()
        self.readers[name] = reader
        self.clients[name] = writer

    async def open(self, *names: str) -> None:
        self.server = await asyncio.start_server(self._arrive, HOST, 0)
        port = self.server.sockets[0].getsockname()[1]
        for name in names:
            peer = Peer(name)
            await peer.connect(port)
            peer.say(name)
            self.peers[name] = peer
        for _ in range(int(WAIT / POLL)):
            if len(self.clients) == len(names):
                break
            await asyncio.sleep(POLL)

    async def kill(self, name: str) -> None:
        """Reset ``name``'s connection and wait until the server side knows it is gone."""
        self.peers[name].drop()
        for _ in range(int(WAIT / POLL)):
            if self.readers[name].exception() is not None:
                break
            await asyncio.sleep(POLL)

    async def end_marks(self) -> None:
        """After the broadcast: a mark on every live connection, so each client knows it has
        everything the broadcast sent (TCP keeps the order)."""
        await asyncio.sleep(
            0.1
        )  # a broadcast that hands its writes to tasks: they have run
        for name, writer in self.clients.items():
            if self.readers[name].exception() is None:
                writer.write(b"~end\n")
        for name, peer in self.peers.items():
            if not peer.left:
                await peer.receives("~end", 1.0)

    def got(self, name: str) -> list[str]:
        lines = self.peers[name].lines
        return lines[: lines.index("~end")] if "~end" in lines else lines

    def close(self) -> None:
        for peer in self.peers.values():
            peer.close_quietly()
        for writer in self.clients.values():
            writer.close()
        if self.server is not None:
            self.server.close()


def run_broadcast(
    learner: Any,
    script: Callable[[Callable[..., Any], Room], Awaitable[Any]],
    text: str,
) -> Any:
    async def scenario(broadcast: Callable[..., Any]) -> Any:
        room = Room(learner)
        try:
            return await script(broadcast, room)
        finally:
            room.close()

    with (
        asyncio_quiet(),
        stream_advice(),
    ):  # quiet also while the harness cancels what is left running
        call = learner.run_scenario("broadcast", scenario, text=text)
    if isinstance(call.run.error, Verdict):
        raise call.run.error.failure
    call.result()
    return call


async def call_broadcast(
    broadcast: Callable[..., Any], room: Room, line: str, sender: str, text: str
) -> None:
    task = asyncio.ensure_future(broadcast(room.clients, line, sender))
    done, _ = await asyncio.wait({task}, timeout=WAIT)
    if not done:
        task.cancel()
        raise fail(
            f"Called {text}. It had not returned after {WAIT:g} s of loop time; every client reads at once, "
            "so writing and draining one line takes no time at all.",
            "Write the line to each client and `await writer.drain()`; don't wait for anything else.",
        )
    task.result()


@pytest.mark.points(1)
def test_broadcast_skips_the_sender(learner):
    """broadcast sends the line, with a newline, to every client but the sender"""
    text = "broadcast(clients, 'ada: hello', 'ada') with ada, bob and cy in clients"

    async def script(broadcast: Callable[..., Any], room: Room) -> None:
        await room.open("ada", "bob", "cy")
        await call_broadcast(broadcast, room, "ada: hello", "ada", text)
        await room.end_marks()
        got = {name: room.got(name) for name in room.peers}
        if got["ada"]:
            raise fail(
                f"Called {text}. ada, the sender, received {shown_lines(got['ada'])}: broadcast sends the line to "
                "everyone BUT the sender.",
                OTHERS,
            )
        for name in ("bob", "cy"):
            if got[name] == ["ada: hello"]:
                continue
            joined = [
                line
                for line in got[name]
                if "ada: hello" in line and line != "ada: hello"
            ]
            if joined:
                raise fail(
                    f"Called {text}. {name} received {joined[0]!r}: the line did not end with a newline, so it ran "
                    "into whatever came next. Expected the line 'ada: hello' on its own.",
                    'Add the newline when you write: `writer.write((line + "\\n").encode())`.',
                )
            raise fail(
                f"Called {text}. {name} received {shown_lines(got[name])}; expected exactly ['ada: hello']."
            )

    run_broadcast(learner, script, text)


@pytest.mark.points(2)
def test_broadcast_survives_a_dead_client(learner):
    """broadcast skips a client whose connection is gone and still reaches everyone after it"""
    text = "broadcast(clients, 'ada: hi', 'ada') with ada, bob, cy and dee in clients, where bob's connection is gone"

    async def script(broadcast: Callable[..., Any], room: Room) -> None:
        await room.open("ada", "bob", "cy", "dee")
        await room.kill("bob")
        task = asyncio.ensure_future(broadcast(room.clients, "ada: hi", "ada"))
        done, _ = await asyncio.wait({task}, timeout=WAIT)
        error = task.exception() if done else None
        if not done:
            task.cancel()
        await room.end_marks()
        missing = [
            name
            for name in ("cy", "dee")
            if not any("ada: hi" in line for line in room.got(name))
        ]
        if error is not None and not isinstance(error, ConnectionError):
            raise error  # not about the dead client: reported with its line
        if error is not None or missing:
            what = (
                f"It raised {error_text(error)} at {line_of(error, room.learner)}"
                if error
                else "It returned"
            )
            lost = (
                f"{listed(missing)} never got the line"
                if missing
                else "cy and dee got the line, but the error escaped"
            )
            raise fail(
                f"Called {text} (it vanished: writing to it, then drain(), raises ConnectionResetError). {what}: "
                f"{lost}. One client that is gone must not stop the line from reaching the others, nor crash the "
                "handler that called broadcast.",
                CATCH,
            )
        if not done:
            raise fail(
                f"Called {text}. It had not returned after {WAIT:g} s of loop time.",
                CATCH,
            )

    run_broadcast(learner, script, text)
