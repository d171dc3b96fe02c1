"""A loopback TCP proxy in front of the test PostgreSQL, for pulling the network cable on a running store.

It runs its own event loop in a thread, like a network the store does not control, so it can be pulled
from anywhere: from the test, or from code the store runs synchronously inside a turn. Pulled, it resets
every open connection (the server rolls back whatever they had open) and refuses new ones; pushed back
in, it listens on the same port again.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Plug"]


class Plug:
    def __init__(self, postgres_url: str) -> None:
        parts = urlsplit(postgres_url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        userinfo, at, _ = parts.netloc.rpartition("@")
        self.url = urlunsplit(parts._replace(netloc=f"{userinfo}{at}127.0.0.1:{self.port}"))  # same database, via us
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pg-plug", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread.start()
        self.push()

    def _call(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def push(self) -> None:
        """Plug the cable in: accept connections again."""
        self._call(self._listen())

    def pull(self) -> None:
        """Pull the cable: reset every open connection, refuse new ones."""
        self._call(self._cut())

    def close(self) -> None:
        self.pull()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self._target)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers |= {client_writer, server_writer}
        await asyncio.gather(self._pump(client_reader, server_writer), self._pump(server_reader, client_writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
        self._writers.discard(writer)
