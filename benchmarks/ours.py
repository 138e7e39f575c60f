"""Our exporter under benchmark: the real pollers, snapshot and server, in this process.

python -m benchmarks.ours '<simulator json>' PORT
"""

from __future__ import annotations

import asyncio
import gc
import sys

from benchmarks.common import Figures, measure, read_cloud, serve_until_sigterm, settings
from exporter.memory import tune_allocator
from exporter.server import make_app
from exporter.snapshot import Snapshot
from exporter.sources import build_sources, new_session, pollers
from exporter.telemetry import Telemetry


async def main() -> None:
    tune_allocator()  # as the CLI does
    config = settings(read_cloud(), int(sys.argv[2]))
    snapshot, telemetry, figures = Snapshot(), Telemetry(), Figures()
    async with new_session() as session:
        for poller in pollers(
            config, build_sources(config, session, telemetry), snapshot, telemetry
        ):
            service = poller.source.service
            for _ in range(2):  # the second poll replaces data, as every poll after the first does
                with measure(figures, service):
                    assert await poller.poll_once()
            figures.render_cpu[service] = poller.status.render_cpu or 0.0
            figures.tasks[service] = poller.status.tasks
            gc.collect()
        figures.emit()
        await serve_until_sigterm(make_app(snapshot, telemetry), config.web.port)


if __name__ == "__main__":
    asyncio.run(main())
