# expect-fail: test_sender_does_not_get_its_own_message: The server sent ada's own message back to ada
# expect-fail: test_broadcast_skips_the_sender: ada, the sender, received
# expect-pass: test_messages_go_to_the_others
# expect-pass: test_disconnected_clients_are_removed
# expect-pass: test_stop_chat_closes_everything
# The seed's first bug: broadcast sends every line to everyone, the sender too.
import asyncio
import functools


async def broadcast(clients, line, sender):
    data = (line + "\n").encode()
    for writer in list(clients.values()):
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


async def start_chat(clients, host, port):
    return await asyncio.start_server(
        functools.partial(handle_client, clients), host, port
    )


async def stop_chat(clients, server):
    server.close()
    for writer in list(clients.values()):
        writer.close()
    await server.wait_closed()
