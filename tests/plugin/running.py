"""Run a plugin in-process (its runner loop in a thread) against the fake server."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lmstudio.plugin import run_plugin_async
from lmstudio.testing import FakeLMStudio

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "plugins"
INVALID = Path(__file__).parent / "invalid"


def write_plugin(folder: Path, source: str, name: str = "test-plugin") -> Path:
    """A plugin folder with ``source`` as its ``src/plugin.py``."""
    manifest = {"type": "plugin", "runner": "python", "owner": "tests", "name": name}
    (folder / "src").mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "src" / "plugin.py").write_text(source, encoding="utf-8")
    return folder


class Running:
    """A plugin being served: its id on the fake, and the runner's task."""

    def __init__(self, identifier: str, loop: asyncio.AbstractEventLoop) -> None:
        self.identifier = identifier
        self.loop = loop
        self.task: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        self.finished = threading.Event()


@contextmanager
def running_plugin(
    server: FakeLMStudio, folder: Path, hooks: tuple[str, ...] = ()
) -> Iterator[Running]:
    """Serve ``folder``'s plugin with a production identity from the fake until the end."""
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    identity = server.plugins.add_plugin(manifest)
    identifier = f"{manifest['owner']}/{manifest['name']}"
    loop = asyncio.new_event_loop()
    state = Running(identifier, loop)

    def main() -> None:
        asyncio.set_event_loop(loop)
        state.task = loop.create_task(
            run_plugin_async(folder, api_host=server.api_host, identity=identity)
        )
        try:
            loop.run_until_complete(state.task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            state.error = exc
        finally:
            loop.close()
            state.finished.set()

    thread = threading.Thread(target=main, name="plugin-runner-under-test", daemon=True)
    thread.start()
    try:
        server.plugins.wait_ready(identifier, hooks=hooks).result(timeout=15)
        yield state
    finally:
        if not state.finished.is_set():
            loop.call_soon_threadsafe(lambda: state.task.cancel() if state.task else None)
        thread.join(15)
        assert not thread.is_alive(), "the plugin runner did not stop"
