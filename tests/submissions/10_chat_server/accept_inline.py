# expect-fail: test_serves_clients_at_the_same_time: the server serves one client at a time
# expect-pass: test_broadcast_skips_the_sender
# A hand-made accept loop that awaits each client's handler before accepting the next.
import asyncio
import socket


async def broadcast(clients, line, sender):
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
    name = None
    try:
        name = (await reader.readline()).decode().strip()
        clients[name] = writer
        await broadcast(clients, f"* {name} joined", name)
        while line := await reader.readline():
            await broadcast(clients, f"{name}: {line.decode().rstrip()}", name)
    except ConnectionError:
        pass
    finally:
        if name in clients:
            del clients[name]
            await broadcast(clients, f"* {name} left", name)
        writer.close()


async def accept_forever(clients, listener):
    loop = asyncio.get_running_loop()
    while True:
        connection, _ = await loop.sock_accept(listener)
        reader, writer = await asyncio.open_connection(sock=connection)
        await handle_client(clients, reader, writer)


async def start_chat(clients, host, port):
    listener = socket.create_server((host, port))
    listener.setblocking(False)
    asyncio.get_running_loop().create_task(accept_forever(clients, listener))
    return listener


async def stop_chat(clients, server):
    server.close()
    for writer in list(clients.values()):
        writer.close()
