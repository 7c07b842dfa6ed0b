# expect: pass
# Writes to everyone first, then waits for all the drains together; `async for` over the
# reader; stop_chat waits for each connection to close as well as for the server.
import asyncio
import contextlib


async def _drain(writer):
    with contextlib.suppress(ConnectionError):
        await writer.drain()


async def broadcast(clients, line, sender):
    data = f"{line}\n".encode()
    targets = [writer for name, writer in clients.items() if name != sender]
    for writer in targets:
        writer.write(data)  # never raises: a lost connection just drops the bytes
    await asyncio.gather(*(_drain(writer) for writer in targets))


async def handle_client(clients, reader, writer):
    first = await reader.readline()
    name = first.decode().strip()
    if not name:
        writer.close()
        return
    clients[name] = writer
    await broadcast(clients, f"* {name} joined", sender=name)
    try:
        async for raw in reader:
            text = raw.decode().rstrip("\r\n")
            await broadcast(clients, f"{name}: {text}", sender=name)
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        clients.pop(name, None)
        await broadcast(clients, f"* {name} left", sender=name)
        writer.close()


async def start_chat(clients, host, port):
    async def on_connect(reader, writer):
        await handle_client(clients, reader, writer)

    return await asyncio.start_server(on_connect, host=host, port=port)


async def _closed(writer):
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def stop_chat(clients, server):
    server.close()
    await asyncio.gather(*(_closed(writer) for writer in list(clients.values())))
    await server.wait_closed()
