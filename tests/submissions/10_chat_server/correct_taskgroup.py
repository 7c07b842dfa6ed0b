# expect: pass
# Drains every client at once in a TaskGroup (each drain catches its own error), reads
# with readuntil(), and disconnects the clients before closing the server.
import asyncio


async def broadcast(clients, line, sender):
    async def send(writer):
        try:
            writer.write((line + "\n").encode())
            await writer.drain()
        except ConnectionError:
            pass

    async with asyncio.TaskGroup() as group:
        for name, writer in list(clients.items()):
            if name != sender:
                group.create_task(send(writer))


async def handle_client(clients, reader, writer):
    name = None
    try:
        name = (await reader.readuntil(b"\n")).decode().strip()
        clients[name] = writer
        await broadcast(clients, f"* {name} joined", name)
        while True:
            line = await reader.readuntil(b"\n")
            await broadcast(clients, f"{name}: {line.decode().strip()}", name)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # end of file (the client closed), or the connection broke
    finally:
        if name is not None and clients.get(name) is writer:
            del clients[name]
            await broadcast(clients, f"* {name} left", name)
        writer.close()


async def start_chat(clients, host, port):
    return await asyncio.start_server(
        lambda r, w: handle_client(clients, r, w), host, port
    )


async def stop_chat(clients, server):
    for writer in list(clients.values()):
        writer.close()
    server.close()
    await server.wait_closed()
