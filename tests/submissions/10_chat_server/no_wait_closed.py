# expect-fail: test_stop_chat_closes_everything: without awaiting server.wait_closed()
# visible-fail: test_stop_chat_closes_the_server: returned without awaiting server.wait_closed()
# close() without wait_closed(): stop_chat returns while the server is still shutting down.
import asyncio
import functools


async def broadcast(clients, line, sender):
    """Send `line` to every client but `sender`; a client that is gone is skipped."""
    data = (line + "\n").encode()
    for name, writer in list(clients.items()):
        if name == sender:
            continue
        try:
            writer.write(data)
            await writer.drain()
        except ConnectionError:
            pass


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
        pass
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
    server.close()
    for writer in list(clients.values()):
        writer.close()
