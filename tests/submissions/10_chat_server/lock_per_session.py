# expect-fail: test_serves_clients_at_the_same_time: the server serves one client at a time
# expect-fail: test_join_and_leave_notices: one client at a time
# expect-fail: test_messages_go_to_the_others: one client at a time
# A lock "so that two clients never change clients at once", held for a whole session.
import asyncio


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


async def start_chat(clients, host, port):
    lock = asyncio.Lock()

    async def serve(reader, writer):
        async with lock:
            await handle_client(clients, reader, writer)

    return await asyncio.start_server(serve, host, port)


async def stop_chat(clients, server):
    server.close()
    for writer in list(clients.values()):
        writer.close()
    await server.wait_closed()
