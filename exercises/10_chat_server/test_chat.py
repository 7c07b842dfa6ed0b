"""Visible tests of exercise 10. Run them with: pytest exercises/10_chat_server

Your server runs inside the test's own event loop, on 127.0.0.1 (port 0: any free port),
and the tests connect real TCP clients to it (asyncio.open_connection), in that same loop.
Time is *virtual* loop time: "nothing arrived within 5 s" costs no real time.

The tests hand your functions a dict, `clients`, and look into it: after ada has sent her
name, clients["ada"] must be the StreamWriter of ada's connection.
"""

import asyncio
import contextlib
import socket
import struct

from grader.failure import CheckFailed

HOST = "127.0.0.1"
WAIT = 5.0  # seconds of loop time for something that should happen at once


class Client:
    """A test client: it keeps every line the server sends in `lines`."""

    def __init__(self, name):
        self.name = name
        self.lines = []
        self.closed_by_server = False
        self.reader = self.writer = None
        self.task = None

    async def connect(self, port, send_name=True):
        self.reader, self.writer = await asyncio.open_connection(HOST, port)
        self.task = asyncio.create_task(self._read())
        if send_name:
            self.say(self.name)

    async def _read(self):
        with contextlib.suppress(ConnectionError):
            while line := await self.reader.readline():
                self.lines.append(line.decode().rstrip("\n"))
        self.closed_by_server = True

    def say(self, text):
        self.writer.write(text.encode() + b"\n")

    async def receives(self, line):
        """Whether `line` arrives within WAIT seconds of loop time."""
        for _ in range(int(WAIT / 0.05)):
            if line in self.lines:
                return True
            await asyncio.sleep(0.05)
        return line in self.lines

    def vanish(self):
        """Break the connection without a goodbye: the server's readline() raises ConnectionResetError."""
        self.task.cancel()
        vanish(self.writer)

    def close(self):
        if self.task is not None:
            self.task.cancel()
        if self.writer is not None:
            self.writer.close()


def vanish(writer):
    """Break a connection without a goodbye (a reset): at the other end, reads and drain() raise ConnectionResetError."""
    with contextlib.suppress(OSError):
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def until(condition):
    """Wait up to WAIT seconds of loop time for `condition()` to hold."""
    for _ in range(int(WAIT / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def check(condition, story, advice=None):
    if not condition:
        raise CheckFailed(story, advice)


def outcome(call):
    """What the scenario returned; a CheckFailed raised inside it is the test's verdict."""
    if isinstance(call.run.error, CheckFailed):
        raise call.run.error
    return call.result()


async def start(learner, clients):
    """start_chat(clients, HOST, 0), which must return the listening asyncio.Server at once."""
    try:
        server = await asyncio.wait_for(learner.function("start_chat")(clients, HOST, 0), WAIT)
    except TimeoutError:
        raise CheckFailed(
            f"start_chat had not returned after {WAIT:g} s: it must start the server and return it at once, "
            "so the rest of the program can run while it serves.",
            "Return what asyncio.start_server gives; don't await server.serve_forever() in start_chat.",
        ) from None
    check(server is not None, "start_chat returned None; expected the asyncio.Server.", "Did you forget the `return`?")
    return server


def run_server(learner, script, function="start_chat"):
    """Start your server with start_chat, run `script(clients, server, port, connect)`, clean up."""

    async def scenario(_function):
        clients, connected = {}, []
        server = await start(learner, clients)
        port = server.sockets[0].getsockname()[1]

        async def connect(name):
            client = Client(name)
            await client.connect(port)
            connected.append(client)
            joined = await until(lambda: name in clients)
            check(
                joined,
                f"{name} connected and sent {name!r}, but {name!r} never appeared in clients: {list(clients)}.",
                "Read the first line, strip it, then `clients[name] = writer`. Every connection is served at the "
                "same time: asyncio.start_server runs one handle_client task per connection.",
            )
            return client

        try:
            return await script(clients, server, port, connect)
        finally:
            for client in connected:
                client.close()
            server.close()
            for writer in list(clients.values()):
                writer.close()

    call = learner.run_scenario(
        function, scenario, text=f"start_chat(clients, {HOST!r}, 0)"
    )
    return outcome(call)


async def room(*names):
    """The test's own little server, to call broadcast directly: each name connects in turn and
    sends its name. Returns the server, `clients` (name -> the server's StreamWriter of that
    connection, in the order they came) and each name's client side, (reader, writer)."""
    clients, ends = {}, {}

    async def arrive(reader, writer):  # it only collects the writers, by name
        name = (await reader.readline()).decode().strip()
        clients[name] = writer

    server = await asyncio.start_server(arrive, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    for name in names:
        ends[name] = await asyncio.open_connection(HOST, port)
        ends[name][1].write(name.encode() + b"\n")
        await until(lambda: name in clients)
    return server, clients, ends


async def received_by(clients, ends):
    """What each live client received: the test writes "(end)" after the broadcast, so each
    client knows it has everything broadcast sent."""
    received = {}
    await asyncio.sleep(0.1)  # a broadcast that hands its writes to tasks: they have run
    for name, writer in clients.items():
        if not writer.transport.is_closing():
            writer.write(b"(end)\n")
    for name, (reader, writer) in ends.items():
        with contextlib.suppress(Exception):
            data = await asyncio.wait_for(reader.readuntil(b"(end)\n"), WAIT)
            received[name] = data.decode().removesuffix("(end)\n").splitlines(keepends=True)
        writer.close()
    return received


def test_broadcast_reaches_everyone_but_the_sender(learner):
    """broadcast sends the line, with a newline, to every client but the sender"""

    async def scenario(broadcast):
        server, clients, ends = await room("ada", "bob", "cy")
        await broadcast(clients, "ada: hello", "ada")
        received = await received_by(clients, ends)
        server.close()
        return received

    call = learner.run_scenario(
        "broadcast", scenario, text="broadcast(clients, 'ada: hello', 'ada')"
    )
    received = outcome(call)
    check(
        received["ada"] == [],
        f"Called {call.text}. ada, the sender, received {received['ada']}; expected nothing.",
        "broadcast skips the sender: `if name == sender: continue`.",
    )
    for name in ("bob", "cy"):
        check(
            received[name] == ["ada: hello\n"],
            f"Called {call.text}. {name} received {received[name]}; expected ['ada: hello\\n'].",
            'Write the line and a newline, encoded: `writer.write((line + "\\n").encode())`, then `await writer.drain()`.',
        )


def test_broadcast_skips_a_client_that_is_gone(learner):
    """broadcast skips bob, whose connection broke, and still reaches cy and dee after him"""

    async def scenario(broadcast):
        server, clients, ends = await room("ada", "bob", "cy", "dee")
        vanish(ends["bob"][1])
        await until(clients["bob"].transport.is_closing)  # the server knows: a drain() for bob raises
        try:
            await asyncio.wait_for(broadcast(clients, "ada: hi", "ada"), WAIT)
            error = None
        except ConnectionError as exc:
            error = exc
        received = await received_by(clients, {name: ends[name] for name in ("cy", "dee")})
        server.close()
        return error, received

    call = learner.run_scenario(
        "broadcast", scenario, text="broadcast(clients, 'ada: hi', 'ada'), where bob's connection is gone"
    )
    error, received = outcome(call)
    story = f"Called {call.text} (writing to bob, then drain(), raises ConnectionResetError)."
    advice = (
        "Each client is on its own: wrap the write and the drain for ONE client in `try: ... except "
        "ConnectionError: ...` inside the loop, so a client that is gone is skipped and the others still get the line."
    )
    missing = [name for name in ("cy", "dee") if received.get(name) != ["ada: hi\n"]]
    check(not missing, f"{story} {' and '.join(missing)} never got the line.", advice)
    check(error is None, f"{story} cy and dee got the line, but broadcast raised {error!r}.", advice)


def test_broadcast_waits_for_a_slow_reader(learner):
    """broadcast awaits drain(): lines for a client that reads nothing do not pile up in the server"""
    line = "ada: " + "x" * 1019  # 1 KiB with its newline

    async def scenario(broadcast):
        server, clients, ends = await room("ada", "slow")
        # slow never reads, and the system keeps only 4 KiB for it: the rest waits in the writer's buffer
        clients["slow"].get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)

        async def chat():
            for _ in range(2000):
                await broadcast(clients, line, "ada")
                await asyncio.sleep(0)  # a turn for the rest of the loop between two lines, as between two reads

        talk = asyncio.ensure_future(chat())
        buffered = 0
        for _ in range(10):
            await asyncio.sleep(0.1)
            buffered = max(buffered, clients["slow"].transport.get_write_buffer_size())
        limit = clients["slow"].transport.get_write_buffer_limits()[1]
        if talk.done():
            talk.result()  # broadcast raised: that error is the verdict
        talk.cancel()
        for name, (reader, writer) in ends.items():
            vanish(writer)
        server.close()
        return buffered, limit

    call = learner.run_scenario(
        "broadcast", scenario, text="broadcast(clients, line, 'ada') 2000 times, with 1 KiB lines"
    )
    buffered, limit = outcome(call)
    check(
        buffered <= limit + 2048,
        f"Called {call.text}, while slow read nothing. The server piled up {buffered // 1024} KiB in its write "
        f"buffer for slow: it never waited for slow to take them. With drain() that buffer stays under its limit "
        f"({limit // 1024} KiB) and the sender waits instead.",
        "write() only puts the bytes in a buffer; `await writer.drain()` after it waits while that buffer is over "
        "its limit, so a client that doesn't read slows its sender down instead of filling the server's memory.",
    )


def test_broadcast_copes_with_a_join_while_it_waits(learner):
    """broadcast goes on to cy when dee joins while it waits in drain() for slow, and slow vanishes"""
    line = "ada: " + "x" * (2 * 1024 * 1024)  # 2 MiB: far more than slow's connection takes at once
    data = (line + "\n").encode()

    async def scenario(broadcast):
        server, clients, ends = await room("ada", "slow", "cy", "dee")
        dee = clients.pop("dee")  # dee joins only while broadcast waits for slow
        clients["slow"].get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        got = {"cy": bytearray(), "dee": bytearray()}

        async def keep_reading(name):  # cy and dee read all the time; slow reads nothing
            while piece := await ends[name][0].read(65536):
                got[name] += piece

        readers = [asyncio.ensure_future(keep_reading(name)) for name in got]
        talk = asyncio.ensure_future(broadcast(clients, line, "ada"))
        await asyncio.sleep(0.1)
        waited = not talk.done()  # still in slow's drain(): slow has read nothing
        if not waited:
            talk.result()  # an error of broadcast is the verdict, with its line
        clients["dee"] = dee  # what a handle_client does when dee joins
        vanish(ends["slow"][1])  # slow's connection breaks: its drain() raises ConnectionResetError
        error = None
        try:
            await asyncio.wait_for(talk, WAIT)
        except RuntimeError as exc:
            error = exc
        await until(lambda: len(got["cy"]) >= len(data))
        for task in readers:
            task.cancel()
        for _, writer in ends.values():
            writer.close()
        server.close()
        return waited, error, bytes(got["cy"])

    call = learner.run_scenario(
        "broadcast", scenario,
        text="broadcast(clients, line, 'ada') with a 2 MiB line, where dee joined while it waited in drain() for slow, "
        "then slow vanished",
    )
    waited, error, cy = outcome(call)
    if not waited:
        return  # broadcast never waited for slow here: nothing joined while it waited
    check(
        error is None,
        f"Called {call.text}. It raised {type(error).__name__}: {error} at {call.where(error) if error else ''}; "
        "expected it to go on to cy. While broadcast waits in drain(), the other handle_client tasks run: "
        "they add the clients that join and remove the clients that leave.",
        "Loop over a copy, `for name, writer in list(clients.items()):`, so a join or a leave during a drain() "
        "does not break the loop.",
    )
    check(
        cy == data,
        f"Called {call.text}. cy received {len(cy)} bytes; expected the line, {len(data)} bytes with its newline.",
        "Loop over a copy, `for name, writer in list(clients.items()):`, and send to every client in it.",
    )


def test_a_message_goes_to_the_others_not_back(learner):
    """ada's line reaches bob as "ada: hi", and is not sent back to ada"""

    async def script(clients, server, port, connect):
        ada = await connect("ada")
        bob = await connect("bob")
        ada.say("hi")
        check(
            await bob.receives("ada: hi"),
            f"ada and bob joined; ada sent 'hi'. bob received {bob.lines}; expected 'ada: hi'.",
            'For each line read, `await broadcast(clients, f"{name}: {text}", name)`.',
        )
        bob.say("ping")
        check(
            await ada.receives("bob: ping"),
            f"bob sent 'ping'. ada received {ada.lines}; expected 'bob: ping'.",
        )
        before = ada.lines[: ada.lines.index("bob: ping")]
        check(
            "ada: hi" not in before,
            f"ada's own message came back to ada: {before}. Lines go to the OTHER clients.",
            "Pass the client's name as `sender` and skip it in broadcast.",
        )
        for client, line in ((bob, "ada: hi"), (ada, "bob: ping")):
            at = client.lines.index(line)
            check(
                client.lines[at + 1 : at + 2] != [""],
                f"ada sent 'hi', then bob sent 'ping'. {client.name} received {client.lines}: an empty line right "
                f"after {line!r}; expected {line!r} alone. The line was passed on with its own newline still on it, "
                "and then broadcast added another.",
                "The line readline() gives ends with its newline: strip it, "
                '`f"{name}: {line.decode().rstrip()}"`, before broadcast adds its own.',
            )

    run_server(learner, script)


def test_join_and_leave_notices(learner):
    """ada gets "* bob joined" when bob joins and "* bob left" when bob leaves"""

    async def script(clients, server, port, connect):
        ada = await connect("ada")
        bob = await connect("bob")
        check(
            await ada.receives("* bob joined"),
            f"bob joined. ada received {ada.lines}; expected '* bob joined'.",
            'After storing the writer: `await broadcast(clients, f"* {name} joined", name)`.',
        )
        ada.say("welcome")
        check(
            await bob.receives("ada: welcome"),
            f"bob joined, then ada sent 'welcome'. bob received {bob.lines}; expected 'ada: welcome'.",
        )
        check(
            "* bob joined" not in bob.lines,
            f"bob himself received '* bob joined': {bob.lines}. A join is news for the OTHER clients.",
            'Pass the newcomer\'s name as `sender`: `await broadcast(clients, f"* {name} joined", name)`.',
        )
        bob.close()
        check(
            await ada.receives("* bob left"),
            f"bob closed the connection. ada received {ada.lines}; expected '* bob left'.",
            "readline() returns b'' when the client closed: leave the loop, and in a `finally:` tell the others.",
        )

    run_server(learner, script)


def test_a_client_that_leaves_is_removed(learner):
    """When bob closes the connection, bob is removed from clients"""

    async def script(clients, server, port, connect):
        await connect("ada")
        bob = await connect("bob")
        bobs_writer = clients["bob"]  # the server's side of bob's connection
        bob.close()
        gone = await until(lambda: "bob" not in clients)
        check(
            gone,
            f"bob closed the connection; {WAIT:g} s later clients was still {list(clients)}.",
            "In a `finally:` around the reading loop: `del clients[name]`, then tell the others and close the writer.",
        )
        check(
            await until(bobs_writer.transport.is_closing),
            f"bob closed the connection and was removed from clients, but {WAIT:g} s later the server's side of "
            "bob's connection was still open: handle_client never closed its writer.",
            "When the session ends, close the connection: `writer.close()` in the `finally:` of handle_client.",
        )

    run_server(learner, script)


def test_a_client_that_vanishes_is_removed(learner):
    """When bob's connection breaks without a goodbye, bob is removed and ada is told"""

    async def script(clients, server, port, connect):
        ada = await connect("ada")
        bob = await connect("bob")
        bob.vanish()
        story = "ada and bob joined; then bob's connection broke (reset: at the server, readline() raised ConnectionResetError)."
        advice = (
            "A broken connection raises instead of giving b'': catch ConnectionError around the reading loop, "
            "and do the goodbye (del clients[name], '* bob left', writer.close()) in its `finally:`."
        )
        gone = await until(lambda: "bob" not in clients)
        check(gone, f"{story} {WAIT:g} s later clients was still {list(clients)}.", advice)
        check(
            await ada.receives("* bob left"),
            f"{story} bob was removed, but ada received {ada.lines}; expected '* bob left'.",
            advice,
        )

    run_server(learner, script)


def test_stop_chat_closes_the_server(learner):
    """stop_chat stops accepting connections, disconnects the clients, then awaits server.wait_closed()"""
    seen = {}

    async def scenario(stop_chat):
        loop = asyncio.get_running_loop()
        clients = {}
        server = await start(learner, clients)  # a broken start_chat is not stop_chat's fault
        port = server.sockets[0].getsockname()[1]
        ada = Client("ada")
        await ada.connect(port)
        await until(lambda: "ada" in clients)
        connections = list(clients.values())
        original = server.wait_closed

        async def wait_closed():
            # as on Python 3.12+, on every version: it returns once every client connection is closed
            seen["waited"] = True
            while not all(writer.transport.is_closing() for writer in connections):
                await asyncio.sleep(0.05)
            await original()
            seen["closed"] = loop.time()

        server.wait_closed = wait_closed
        stop = asyncio.ensure_future(stop_chat(clients, server))
        done, _ = await asyncio.wait({stop}, timeout=WAIT)
        if not done:
            stop.cancel()
            seen["stuck"] = not all(writer.transport.is_closing() for writer in connections)
            for writer in connections:
                writer.close()
        else:
            stop.result()  # an error of stop_chat is the verdict, with its line
            seen["returned"] = loop.time()
        disconnected = await until(lambda: ada.closed_by_server)
        try:
            _, writer = await asyncio.open_connection(HOST, port)
            writer.close()
            accepting = True
        except OSError:
            accepting = False
        ada.close()
        server.close()
        return accepting, disconnected

    call = learner.run_scenario(
        "stop_chat", scenario, text="stop_chat(clients, server)"
    )
    accepting, disconnected = outcome(call)
    steps = (
        "`server.close()`, close each client's writer (`for writer in list(clients.values()): writer.close()`), "
        "then `await server.wait_closed()`."
    )
    shutdown = "Shut down in this order: " + steps
    check(
        not seen.get("stuck"),
        f"Called {call.text}, with ada connected. It awaited server.wait_closed() while ada's connection was still "
        f"open, and had not returned after {WAIT:g} s of loop time. wait_closed() waits until every client "
        "connection is closed (Python 3.12+; this test holds every version to that).",
        "Disconnect the clients first, then await server.wait_closed(): " + steps,
    )
    check(
        not accepting,
        f"Called {call.text}. Afterwards the server still accepted a new connection.",
        shutdown,
    )
    check(
        disconnected,
        f"Called {call.text}. ada's connection was still open {WAIT:g} s later.",
        "Close each client's writer: `for writer in list(clients.values()): writer.close()`.",
    )
    check(
        "returned" not in seen or seen.get("closed", float("inf")) <= seen["returned"],
        f"Called {call.text}. It closed the server and the connections, but returned without awaiting "
        "server.wait_closed(): the server may still be shutting down when stop_chat returns.",
        shutdown,
    )
