"""Exercise 10: a chat server on real TCP, with asyncio.start_server.

Read README.md in this folder first. The line protocol, one UTF-8 line each, ending in "\n":

    a client sends:   its name first ("ada"), then any lines ("hello")
    the others get:   "* ada joined"   when ada has sent her name
                      "ada: hello"     for each line ada sends (ada herself gets nothing back)
                      "* ada left"     when ada closes her connection or it breaks

`clients` is a dict shared by the whole server: each connected client's name -> the
StreamWriter of its connection. The tests hand you that dict and look into it.
"""

import asyncio  # noqa: F401  (you will need it)
import functools  # noqa: F401  (functools.partial may help)


async def broadcast(clients, line, sender):
    """Send `line` plus a newline to every client in `clients` except `sender` (a name).

    Wait for each writer's drain(). A client whose connection is gone must not stop
    the line from reaching the others: skip it.
    """
    # TODO: write the encoded line to each other client's writer, drain it, skip the dead ones.
    raise NotImplementedError


async def handle_client(clients, reader, writer):
    """Serve one connection from its first line (the name) until it closes or breaks.

    Add the client to `clients`, tell the others it joined, pass each of its lines on to
    the others as "name: text"; when it is gone, remove it, tell the others it left and
    close the writer.
    """
    # TODO: read the name, join, relay every line, and always leave (try/finally).
    raise NotImplementedError


async def start_chat(clients, host, port):
    """Start the chat server on `host`:`port` and return the asyncio.Server at once.

    Every connection is served by its own handle_client(clients, reader, writer).
    """
    # TODO: start an asyncio server whose connections go to handle_client, and return it.
    raise NotImplementedError


async def stop_chat(clients, server):
    """Shut the server down: stop accepting, close every client's connection, and
    wait until the server is closed."""
    # TODO: close the server, close each client's writer, await the server's wait_closed().
    raise NotImplementedError
