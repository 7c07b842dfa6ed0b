# expect-fail: test_disconnected_clients_are_removed: raised ConnectionResetError
# expect-pass: test_join_and_leave_notices
# Handles a clean goodbye (b'') but not a connection that breaks: readline() raises.
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
    name = (await reader.readline()).decode().strip()
    clients[name] = writer
    await broadcast(clients, f"* {name} joined", name)
    while True:
        line = await reader.readline()
        if not line:
            break
        await broadcast(clients, f"{name}: {line.decode().rstrip()}", name)
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
