# expect-fail: test_broadcast_survives_a_dead_client: never got the line
# expect-fail: test_drains_for_a_slow_reader: something ended the handle_client serving ada
# expect-pass: test_disconnected_clients_are_removed
# The docs' write-then-drain, with nothing around it: one dead client ends the loop.
import asyncio
import functools


async def broadcast(clients, line, sender):
    data = (line + "\n").encode()
    for name, writer in list(clients.items()):
        if name != sender:
            writer.write(data)
            await writer.drain()


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


async def start_chat(clients, host, port):
    return await asyncio.start_server(
        functools.partial(handle_client, clients), host, port
    )


async def stop_chat(clients, server):
    server.close()
    for writer in list(clients.values()):
        writer.close()
    await server.wait_closed()
