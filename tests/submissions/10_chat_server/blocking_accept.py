# expect-fail: test_a_client_joins_by_name: blocking call, socket.socket.accept
# expect-fail: test_messages_go_to_the_others: asyncio.start_server accepts connections for you
# expect-pass: test_broadcast_survives_a_dead_client
# A socket-tutorial server: a blocking accept() in a coroutine freezes the event loop.
import asyncio
import socket


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


async def accept_forever(clients, listener):
    while True:
        connection, _ = listener.accept()
        reader, writer = await asyncio.open_connection(sock=connection)
        asyncio.create_task(handle_client(clients, reader, writer))


async def start_chat(clients, host, port):
    listener = socket.create_server((host, port))
    asyncio.get_running_loop().create_task(accept_forever(clients, listener))
    return listener


async def stop_chat(clients, server):
    server.close()
    for writer in list(clients.values()):
        writer.close()
