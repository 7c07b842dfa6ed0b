# expect-fail: test_a_client_joins_by_name: It had not returned after 5 s
# expect-fail: test_stop_chat_closes_everything: serve_forever
# expect-pass: test_broadcast_skips_the_sender
# The asyncio docs' server example pasted into start_chat: it serves forever and never returns.
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
    server = await asyncio.start_server(
        functools.partial(handle_client, clients), host, port
    )
    async with server:
        await server.serve_forever()
    return server


async def stop_chat(clients, server):
    server.close()
    for writer in list(clients.values()):
        writer.close()
    await server.wait_closed()
