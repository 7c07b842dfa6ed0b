# expect: pass
# broadcast drops a client it finds gone; stop_chat lets `async with server` do
# close() + wait_closed(); a room lock held only while the dict changes.
import asyncio
import functools


async def broadcast(clients, line, sender):
    payload = line.encode() + b"\n"
    for name, writer in list(clients.items()):
        if name == sender:
            continue
        if writer.is_closing():
            continue
        try:
            writer.write(payload)
            await writer.drain()
        except (ConnectionError, OSError):
            if clients.get(name) is writer:
                del clients[name]


async def handle_client(clients, reader, writer, *, lock):
    name = ""
    try:
        name = (await reader.readline()).decode("utf-8").strip()
        if not name:
            return
        async with lock:
            clients[name] = writer
        await broadcast(clients, "* " + name + " joined", name)
        while True:
            line = await reader.readline()
            if line == b"":
                break
            await broadcast(
                clients, name + ": " + line.decode("utf-8").rstrip("\n"), name
            )
    except ConnectionError:
        pass
    finally:
        if name:
            async with lock:
                if clients.get(name) is writer:
                    del clients[name]
            await broadcast(clients, "* " + name + " left", name)
        writer.close()


async def start_chat(clients, host, port):
    handler = functools.partial(handle_client, clients, lock=asyncio.Lock())
    server = await asyncio.start_server(handler, host, port)
    return server


async def stop_chat(clients, server):
    async with server:  # on leaving: server.close(), then await server.wait_closed()
        for writer in list(clients.values()):
            writer.close()
