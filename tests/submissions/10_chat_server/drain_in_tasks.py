# expect-fail: test_drains_for_a_slow_reader: piled up
# expect-pass: test_broadcast_survives_a_dead_client
# Each write and drain is handed to a task nobody awaits: broadcast returns at once, nothing slows down.

import asyncio
import functools


async def _send(writer, data):
    try:
        writer.write(data)
        await writer.drain()
    except ConnectionError:
        pass


async def broadcast(clients, line, sender):
    """Send `line` to every client but `sender`; a client that is gone is skipped."""
    data = (line + "\n").encode()
    for name, writer in list(
        clients.items()
    ):  # a copy: clients may change while we drain
        if name == sender:
            continue
        asyncio.create_task(_send(writer, data))


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
