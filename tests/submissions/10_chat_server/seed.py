# expect-fail: test_sender_does_not_get_its_own_message: The server sent ada's own message back to ada
# expect-fail: test_disconnected_clients_are_removed: was still in clients
# expect-fail: test_join_and_leave_notices: expected '* bob left'
# expect-pass: test_messages_go_to_the_others
# The seed, as handed out: it echoes to the sender and never removes anyone.
import asyncio
import functools


async def broadcast(clients, line, sender):
    for writer in clients.values():
        writer.write((line + "\n").encode())


async def handle_client(clients, reader, writer):
    name = (await reader.readline()).decode().strip()
    clients[name] = writer
    await broadcast(clients, f"* {name} joined", name)
    while line := await reader.readline():
        await broadcast(clients, f"{name}: {line.decode().rstrip()}", name)


async def start_chat(clients, host, port):
    return await asyncio.start_server(
        functools.partial(handle_client, clients), host, port
    )


async def stop_chat(clients, server):
    server.close()
    for writer in list(clients.values()):
        writer.close()
    await server.wait_closed()
