#!/usr/bin/env python3
"""A TCP relay on loopback that delays every chunk: each chunk read from one side is written
unchanged to the other side DELAY seconds after it was read, in each direction, in order. Two
directions of DELAY make a round trip of 2 * DELAY, which the kernels here cannot add
themselves (no netem qdisc).

    delay-relay.py LISTEN_PORT UPSTREAM_PORT [DELAY_SECONDS]

Listens on 127.0.0.1:LISTEN_PORT, connects each client to 127.0.0.1:UPSTREAM_PORT. Prints
"ready" on stdout once listening. Talks to nothing but loopback.
"""
import asyncio
import sys
import time


async def pipe(reader, writer, delay):
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except OSError:
            pass

    sender = asyncio.create_task(send())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            queue.put_nowait((time.monotonic() + delay, data))
    except OSError:
        pass
    queue.put_nowait((time.monotonic() + delay, None))
    await sender


async def main():
    listen, upstream = int(sys.argv[1]), int(sys.argv[2])
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.025

    async def handle(c_reader, c_writer):
        try:
            s_reader, s_writer = await asyncio.open_connection("127.0.0.1", upstream)
        except OSError:
            c_writer.close()
            return
        await asyncio.gather(
            pipe(c_reader, s_writer, delay), pipe(s_reader, c_writer, delay)
        )
        for w in (c_writer, s_writer):
            w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
