"""A plugin folder: ``manifest.json`` beside ``src/plugin.py`` (the official SDK's layout).

``manifest.json`` holds ``{"type": "plugin", "runner": "python", "owner": ..., "name": ...}``
(``revision`` and other keys of LM Studio's plugin manifest are kept as they are). The
owner is kebab-case; the name is lower-case letters, digits, ``-`` and ``.``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ._errors import LMStudioPluginInitError

__all__ = ["PluginManifest", "read_manifest"]

_OWNER = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NAME = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")


class PluginManifest:
    """A checked ``manifest.json``: ``owner``, ``name``, the folder and the source file."""

    __slots__ = ("data", "folder", "name", "owner", "source")

    def __init__(self, folder: Path, data: dict[str, Any]) -> None:
        self.folder = folder
        self.data = data
        self.owner: str = data["owner"]
        self.name: str = data["name"]
        self.source = folder / "src" / "plugin.py"

    @property
    def identifier(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    def registration(self) -> dict[str, Any]:
        """The manifest ``registerDevelopmentPlugin`` sends.

        LM Studio's protocol has no ``python`` runner type yet, so (as the official SDK
        does) the plugin registers as a ``node`` one; LM Studio does not run it itself.
        """
        manifest: dict[str, Any] = {"type": "plugin", "runner": "node"}
        manifest["owner"] = self.owner
        manifest["name"] = self.name
        if isinstance(self.data.get("revision"), int):
            manifest["revision"] = self.data["revision"]
        return manifest

    def __repr__(self) -> str:
        return f"PluginManifest({self.identifier!r}, folder={str(self.folder)!r})"


def read_manifest(folder: str | Path) -> PluginManifest:
    """Read and check ``folder/manifest.json`` (and that ``src/plugin.py`` exists).

    Raises:
        LMStudioPluginInitError: the folder, the manifest or the source file is missing,
            the manifest is not JSON, or a key is missing or malformed (the message says
            which and how to fix it).
    """
    path = Path(folder)
    if not path.is_dir():
        raise LMStudioPluginInitError(f"No plugin folder at {str(path)!r}")
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise LMStudioPluginInitError(
            f"No manifest.json in {str(path)!r}: a plugin folder holds manifest.json "
            'and src/plugin.py ({"type": "plugin", "runner": "python", "owner": ..., '
            '"name": ...})'
        )
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LMStudioPluginInitError(f"Cannot read {str(manifest_path)!r}: {exc}") from None
    if not isinstance(data, dict):
        raise LMStudioPluginInitError(f"{str(manifest_path)!r} must hold a JSON object")
    _check(manifest_path, data)
    manifest = PluginManifest(path.resolve(), data)
    if not manifest.source.is_file():
        raise LMStudioPluginInitError(
            f"No src/plugin.py in {str(path)!r}: the plugin's hooks live there"
        )
    return manifest


def _check(where: Path, data: dict[str, Any]) -> None:
    problems: list[str] = []
    if data.get("type") != "plugin":
        problems.append(f'"type" must be "plugin" (got {data.get("type")!r})')
    if data.get("runner") != "python":
        problems.append(f'"runner" must be "python" (got {data.get("runner")!r})')
    owner, name = data.get("owner"), data.get("name")
    if not isinstance(owner, str) or not _OWNER.match(owner):
        problems.append(f'"owner" must be kebab-case, like "my-team" (got {owner!r})')
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > 100:
        problems.append(
            f'"name" must be lower-case letters, digits, "-" or ".", like "dice-tool" '
            f"(got {name!r})"
        )
    if "revision" in data and (
        not isinstance(data["revision"], int) or isinstance(data["revision"], bool)
    ):
        problems.append(f'"revision" must be an integer (got {data["revision"]!r})')
    if problems:
        raise LMStudioPluginInitError(f"Invalid manifest {str(where)!r}: " + "; ".join(problems))
