# expect: pass
# Looks each client up again by name while it broadcasts, closes and waits for each
# connection in its finally, starts serving explicitly, and in stop_chat starts waiting for
# the server before it closes the connections (wait_closed() then returns once they are).
import asyncio
import contextlib


async def broadcast(clients, line, sender):
    data = f"{line}\n".encode()
    for name in list(clients):
        writer = clients.get(name)
        if writer is None or name == sender:
            continue  # left while we were draining someone else
        with contextlib.suppress(ConnectionError):
            writer.write(data)
            await writer.drain()


async def handle_client(clients, reader, writer):
    name = ""
    try:
        name = (await reader.readline()).decode().strip()
        if not name:
            return
        clients[name] = writer
        await broadcast(clients, f"* {name} joined", name)
        while True:
            line = await reader.readline()
            if not line:
                break  # the client closed the connection
            await broadcast(clients, f"{name}: {line.decode().rstrip()}", name)
    except (ConnectionResetError, BrokenPipeError):
        pass  # the connection broke
    finally:
        if clients.get(name) is writer:
            clients.pop(name)
            await broadcast(clients, f"* {name} left", name)
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def start_chat(clients, host, port):
    async def serve(reader, writer):
        await handle_client(clients, reader, writer)

    server = await asyncio.start_server(serve, host, port, start_serving=False)
    await server.start_serving()
    return server


async def stop_chat(clients, server):
    server.close()
    closed = asyncio.ensure_future(server.wait_closed())
    for writer in list(clients.values()):
        writer.close()
    await closed
