"""tests/smtp_listen.py - run an aiosmtpd handler on a port the kernel picks.

Used by the tests' SMTP receivers (smtp-sink.py, smtp-router.py). Picking
a free port first and starting the server on it afterwards leaves a gap in
which another process can take the port (and then msmtp would talk to a
stranger); here the receiver binds port 0 itself and, once it listens,
writes the port it got to PORT_FILE (whole, by a rename), so whoever waits
for that file knows the port is ours and open. SIGTERM or SIGINT stops it.

Needs python3-aiosmtpd (Debian's /usr/bin/python3 has it).
"""
import asyncio
import os
import signal
import socket

from aiosmtpd.smtp import SMTP


def serve(handler, port_file, host='127.0.0.1'):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(128)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, hostname=host, loop=loop), sock=sock))
    tmp = port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % sock.getsockname()[1])
    os.rename(tmp, port_file)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()
