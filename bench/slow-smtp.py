#!/usr/bin/env python3
"""A scripted SMTP server on loopback that answers with latency, for the many-targets benchmark:
the greeting GREETING seconds after connect, every reply REPLY seconds after its command line
arrived (in order, one at a time, as a server that does a lookup per command). ESMTP without
PIPELINING or STARTTLS, so every client (smtpdoctor, swaks, check_smtp) waits for each reply.

    slow-smtp.py PORT [GREETING_SECONDS [REPLY_SECONDS]]

Listens on 127.0.0.1:PORT (0: a free port) and prints "ready PORT" once listening. Counts the
sessions it served and the most it held open at once; prints them on SIGTERM or SIGINT.
Talks to nothing but loopback.
"""
import asyncio
import resource
import signal
import sys

open_now = 0
peak = 0
served = 0


async def handle(reader, writer, greeting, reply):
    global open_now, peak, served
    open_now += 1
    peak = max(peak, open_now)
    try:
        await asyncio.sleep(greeting)
        writer.write(b"220 slow.bench.test ESMTP\r\n")
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            await asyncio.sleep(reply)
            if verb == b"EHLO":
                writer.write(b"250-slow.bench.test\r\n250 8BITMIME\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 bye\r\n")
                await writer.drain()
                break
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                writer.write(b"250 2.0.0 ok\r\n")
            else:
                writer.write(b"502 5.5.2 unknown command\r\n")
            await writer.drain()
        served += 1
    except (ConnectionError, OSError):
        pass
    finally:
        open_now -= 1
        writer.close()


async def main():
    port = int(sys.argv[1])
    greeting = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
    reply = float(sys.argv[3]) if len(sys.argv) > 3 else 0.02
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, greeting, reply), "127.0.0.1", port, backlog=4096
    )
    print("ready", server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(f"served {served} peak {peak}", file=sys.stderr, flush=True)


asyncio.run(main())
