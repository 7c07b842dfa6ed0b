# expect-fail: test_messages_go_to_the_others: received an empty line right after
# expect-pass: test_join_and_leave_notices
# visible-fail: test_a_message_goes_to_the_others_not_back: an empty line right after 'ada: hi'
# Passes the line on with its own newline still on it: every message is followed by an empty line.

import asyncio
import functools


async def broadcast(clients, line, sender):
    """Send `line` to every client but `sender`; a client that is gone is skipped."""
    data = (line + "\n").encode()
    for name, writer in list(
        clients.items()
    ):  # a copy: clients may change while we drain
        if name == sender:
            continue
        try:
            writer.write(data)
            await writer.drain()
        except ConnectionError:
            pass  # that client is gone: its own handle_client removes it


async def handle_client(clients, reader, writer):
    """Serve one connection: a name, then lines for the others, until it closes."""
    name = None
    try:
        name = (await reader.readline()).decode().strip()
        if not name:
            return
        clients[name] = writer
        await broadcast(clients, f"* {name} joined", name)
        while line := await reader.readline():
            await broadcast(clients, f"{name}: {line.decode()}", name)
    except ConnectionError:
        pass  # it vanished without closing: handled like a goodbye
    finally:
        if name and clients.get(name) is writer:
            del clients[name]
            await broadcast(clients, f"* {name} left", name)
        writer.close()


async def start_chat(clients, host, port):
    """Start listening on host:port; every connection gets its own handle_client."""
    return await asyncio.start_server(
        functools.partial(handle_client, clients), host, port
    )


async def stop_chat(clients, server):
    """Stop accepting, close every client's connection, wait until all is closed."""
    server.close()
    for writer in list(clients.values()):
        writer.close()
    await server.wait_closed()
