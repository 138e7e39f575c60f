"""The floor for a scrape: a static-file server handing out the same bytes with sendfile.

    python -m benchmarks.static DIRECTORY PORT

Serves DIRECTORY/metrics.txt at /metrics, and metrics.txt.gz beside it to clients that accept
gzip (aiohttp's FileResponse picks it), until SIGTERM.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiohttp import web

from benchmarks.common import serve_until_sigterm


async def main() -> None:
    body = Path(sys.argv[1]) / "metrics.txt"

    async def metrics(request: web.Request) -> web.FileResponse:
        return web.FileResponse(body, headers={"Content-Type": "text/plain; version=0.0.4"})

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    print("{}", flush=True)
    await serve_until_sigterm(app, int(sys.argv[2]))


if __name__ == "__main__":
    asyncio.run(main())
