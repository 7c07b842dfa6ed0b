# expect-fail: test_disconnected_clients_are_removed: was still in clients
# expect-pass: test_join_and_leave_notices
# expect-pass: test_sender_does_not_get_its_own_message
# expect-pass: test_drains_for_a_slow_reader
# The seed's second bug: a client that is gone stays in clients (the goodbye forgets `del`).
import asyncio
import functools


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
    name = (await reader.readline()).decode().strip()
    clients[name] = writer
    await broadcast(clients, f"* {name} joined", name)
    try:
        while line := await reader.readline():
            await broadcast(clients, f"{name}: {line.decode().rstrip()}", name)
    except ConnectionError:
        pass
    finally:
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
