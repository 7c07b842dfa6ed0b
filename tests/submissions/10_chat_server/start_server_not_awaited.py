# expect-fail: test_a_client_joins_by_name: expected the asyncio.Server that asyncio.start_server returns
import asyncio
import functools


async def broadcast(clients, line, sender):
    for name, writer in clients.items():
        if name != sender:
            writer.write(line.encode())


async def handle_client(clients, reader, writer):
    name = (await reader.readline()).decode().strip()
    clients[name] = writer
    await broadcast(clients, f"* {name} joined", name)
    while True:
        line = await reader.readline()
        if not line:
            break
        await broadcast(clients, f"{name}: {line.decode().strip()}", name)
    del clients[name]
    await broadcast(clients, f"* {name} left", name)


async def start_chat(clients, host, port):
    server = asyncio.start_server(functools.partial(handle_client, clients), host, port)
    return server


async def stop_chat(clients, server):
    server.close()
    await server.wait_closed()
