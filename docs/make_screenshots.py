"""Regenerate the README screenshots from the demo backend at its real pace: python docs/make_screenshots.py"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).parent


async def main() -> None:
    os.environ.setdefault("LLMCONSOLE_DATA_DIR", tempfile.mkdtemp())
    from llmconsole.core.client import ProxyClient
    from llmconsole.core.config import load_settings
    from llmconsole.core.demo import make_demo_transport
    from llmconsole.ui.app import make_app

    settings = load_settings(demo=True)
    client = ProxyClient(settings, transport=make_demo_transport(delta_delay=0.004))
    app = make_app(settings, client=client)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.pause(1.0)
        for ch in "Show me some code":
            await pilot.press(ch)
        await pilot.press("enter")
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause(1.0)
        app.save_screenshot(path=str(DOCS), filename="screenshot.svg")
    print("wrote", DOCS / "screenshot.svg", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
