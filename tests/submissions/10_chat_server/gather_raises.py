# expect-fail: test_broadcast_survives_a_dead_client: cy and dee got the line, but the error escaped
# expect-fail: test_drains_for_a_slow_reader: your task send(), on slow's connection, crashed
# Sends to all at once with gather, but one dead client's error escapes broadcast.

import asyncio
import functools


async def broadcast(clients, line, sender):
    """Send `line` to every client but `sender`; a client that is gone is skipped."""
    data = (line + "\n").encode()

    async def send(writer):
        writer.write(data)
        await writer.drain()

    await asyncio.gather(
        *(send(writer) for name, writer in list(clients.items()) if name != sender)
    )


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
            await broadcast(clients, f"{name}: {line.decode().rstrip()}", name)
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
