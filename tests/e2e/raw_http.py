"""A bare HTTP/1.1 client on one keep-alive connection, to see exactly what a server does with a large body:
whether its answer can be read, and whether the connection still serves the next request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RawConnection:
    """One TCP connection to the server; requests go one after the other on it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader = reader
        self.writer = writer
        self.host = host

    async def request(
        self, method: str, path: str, body: bytes = b"", chunked: bool = False, chunk_size: int = 256 * 1024
    ) -> RawAnswer:
        """Send a request (the body with Content-Length, or chunked) and read its answer."""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
        head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {len(body)}\r\n"
        self.writer.write((head + "\r\n").encode())
        sending = asyncio.create_task(self._send_body(body, chunked, chunk_size))
        try:
            return await asyncio.wait_for(self._answer(), 60)
        finally:
            # The server may answer before it has read the whole body; what it did not read is its business.
            with suppress(ConnectionError, TimeoutError):
                await asyncio.wait_for(sending, 60)

    async def _send_body(self, body: bytes, chunked: bool, chunk_size: int) -> None:
        for start in range(0, len(body), chunk_size):
            piece = body[start : start + chunk_size]
            self.writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
            await self.writer.drain()
        if chunked:
            self.writer.write(b"0\r\n\r\n")
            await self.writer.drain()

    async def _answer(self) -> RawAnswer:
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection without an answer")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int((await self.reader.readline()).strip(), 16):
                body += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return RawAnswer(status, headers, body)


@asynccontextmanager
async def raw_connection(url: str) -> AsyncIterator[RawConnection]:
    """A keep-alive connection to the server at `url` (`http://host:port`)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        yield RawConnection(reader, writer, parts.netloc)
    finally:
        writer.close()
