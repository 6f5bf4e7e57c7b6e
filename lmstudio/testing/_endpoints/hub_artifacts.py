"""``repository``: hub artifacts (download, publish), download plans, local plugins.

- The fake hub has one plugin artifact, ``lmstudio/dice`` (revision 2: ``manifest.json``
  and ``src/index.ts``), every artifact a client published, and the hub's models
  (``repository.py``) as model artifacts ``owner/name``.
- ``downloadArtifact`` writes an artifact's files (a model's: its ``manifest.json``) into
  ``path`` on the server's machine: two ``downloadProgress`` updates, ``startFinalizing``,
  ``success``. An unknown artifact or revision fails.
- ``pushArtifact`` needs a login (``hub_account.py``) and a ``manifest.json`` in ``path``
  naming ``owner`` (the logged-in user or device owner) and ``name``; it sends three
  ``message``s (packing, uploading, published), records the files as a new revision and,
  with ``writeRevision``, writes ``revision`` back into the manifest.
- ``installLocalPlugin`` / ``installPluginDependencies`` need a ``manifest.json`` of
  ``"type": "plugin"`` in the folder; the first records the folder as installed.
- ``createDownloadPlan`` for a model artifact (or a Hugging Face ``user/repo`` naming a
  hub model) sends ``planUpdated`` (the node pending), then ``planReady``: an artifact
  node (for an artifact target) depending on a model node with the model's download
  options, the recommended one selected (none if the model is downloaded already). A
  ``setSelectedDownloadOptionIndex`` answers ``planUpdated`` then ``planReady`` at the
  requested version; ``commit`` downloads the selection as ``downloadModel`` does (then
  ``success``); ``cancelPlan`` ends the channel; ``cancelDownload`` fails the download.
  The plugin artifact's plan is its single artifact node; committing it "installs" it.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from lmstudio.testing._endpoints._registry import channel, rpc
from lmstudio.testing._endpoints.hub_account import hub_state, logged_in_owner
from lmstudio.testing._endpoints.repository import (
    download_option,
    hub_entries,
    options_of,
)
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._session import CallContext, Channel

DICE_MANIFEST = {"type": "plugin", "runner": "node", "owner": "lmstudio", "name": "dice"}
BUILT_IN: dict[str, dict[str, Any]] = {
    "lmstudio/dice": {
        "type": "plugin",
        "revision": 2,
        "files": {
            "manifest.json": json.dumps(DICE_MANIFEST, indent=2),
            "src/index.ts": "export async function main() {}\n",
        },
    }
}


def _artifact(ctx: CallContext, owner: str, name: str) -> dict[str, Any]:
    key = f"{owner}/{name}"
    published = hub_state(ctx.core).artifacts
    if key in published:
        return published[key]
    if key in BUILT_IN:
        return BUILT_IN[key]
    for entry in hub_entries(ctx):
        if entry["modelKey"].lower() == key.lower():
            manifest = {"type": "model", "owner": owner, "name": name}
            return {
                "type": "model",
                "revision": 1,
                "entry": entry,
                "files": {"manifest.json": json.dumps(manifest, indent=2)},
            }
    raise FakeServerError(f'Artifact "{key}" not found on the LM Studio Hub')


def _manifest(folder: str) -> dict[str, Any]:
    path = os.path.join(folder, "manifest.json")
    try:
        with open(path, encoding="utf-8") as file:
            manifest = json.load(file)
    except (OSError, ValueError) as exc:
        raise FakeServerError(f'No valid manifest.json in "{folder}"', cause=str(exc)) from None
    if not isinstance(manifest, dict):
        raise FakeServerError(f'No valid manifest.json in "{folder}"')
    return manifest


def _plugin_manifest(folder: str) -> dict[str, Any]:
    manifest = _manifest(folder)
    if manifest.get("type") != "plugin":
        raise FakeServerError(f'"{folder}" does not hold a plugin (manifest type "plugin")')
    return manifest


@channel("downloadArtifact", "repository")
async def download_artifact(ch: Channel, creation: Any) -> None:
    artifact = _artifact(ch, creation.artifact_owner, creation.artifact_name)
    revision = creation.revision_number
    if revision is not None and not 1 <= revision <= artifact["revision"]:
        raise FakeServerError(f"Revision {revision} of the artifact does not exist")
    files: dict[str, str] = artifact["files"]
    total = sum(len(text.encode()) for text in files.values())
    for done in (total // 2, total):
        await asyncio.sleep(0)
        if ch.cancelled.is_set():
            raise FakeServerError("Download cancelled")
        await ch.send(
            {
                "type": "downloadProgress",
                "update": {
                    "downloadedBytes": done,
                    "totalBytes": total,
                    "speedBytesPerSecond": float(total),
                },
            }
        )
    await ch.send({"type": "startFinalizing"})
    for relative, text in files.items():
        target = os.path.join(creation.path, *relative.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as file:
            file.write(text)
    await ch.send({"type": "success"})


@channel("pushArtifact", "repository")
async def push_artifact(ch: Channel, creation: Any) -> None:
    owner = logged_in_owner(ch)
    manifest = _manifest(creation.path)
    if manifest.get("owner") != owner or not isinstance(manifest.get("name"), str):
        raise FakeServerError(
            f"The manifest must name owner {owner!r} (whom LM Studio is logged in as) and a name"
        )
    files: dict[str, str] = {}
    for folder, _, names in os.walk(creation.path):
        for name in names:
            full = os.path.join(folder, name)
            relative = os.path.relpath(full, creation.path).replace(os.sep, "/")
            with open(full, encoding="utf-8", errors="replace") as file:
                files[relative] = file.read()
    key = f"{owner}/{manifest['name']}"
    published = hub_state(ch.core).artifacts
    revision = published[key]["revision"] + 1 if key in published else 1
    await ch.send({"type": "message", "message": f"Packing {len(files)} files"})
    await ch.send({"type": "message", "message": f"Uploading {key}"})
    published[key] = {
        "type": manifest.get("type", "plugin"),
        "revision": revision,
        "files": files,
        "private": creation.make_private is True,
        "description": creation.description if isinstance(creation.description, str) else "",
    }
    if creation.write_revision is True:
        with open(os.path.join(creation.path, "manifest.json"), "w", encoding="utf-8") as file:
            json.dump({**manifest, "revision": revision}, file, indent=2)
    await ch.send({"type": "message", "message": f"Published {key} revision {revision}"})


@rpc("installLocalPlugin", "repository")
async def install_local_plugin(ctx: CallContext, param: Any) -> None:
    _plugin_manifest(param.plugin_path)
    installed = hub_state(ctx.core).installed_plugins
    if param.plugin_path not in installed:
        installed.append(param.plugin_path)


@rpc("installPluginDependencies", "repository")
async def install_plugin_dependencies(ctx: CallContext, param: Any) -> None:
    _plugin_manifest(param.plugin_folder)


# --- download plans ------------------------------------------------------------------


def _target(ctx: CallContext, target: Any) -> tuple[str | None, dict[str, Any]]:
    """(the artifact's "owner/name" or None for a Hugging Face source, the artifact)."""
    source = getattr(target, "source", None)
    if source is None:
        return f"{target.owner}/{target.name}", _artifact(ctx, target.owner, target.name)
    repo = str(source.repo).removesuffix("-GGUF").removesuffix("-MLX")
    for entry in hub_entries(ctx):
        publisher, _, name = entry["modelKey"].partition("/")
        if publisher.lower() == str(source.user).lower() and name.lower() == repo.lower():
            return None, {"type": "model", "revision": 1, "entry": entry, "files": {}}
    raise FakeServerError(f'No model in the Hugging Face repository "{source.user}/{source.repo}"')


class _Plan:
    def __init__(self, ctx: CallContext, key: str | None, artifact: dict[str, Any]) -> None:
        self.key = key
        self.artifact = artifact
        self.entry: dict[str, Any] | None = artifact.get("entry")
        self.options = options_of(self.entry) if self.entry is not None else []
        downloaded = self.entry is not None and any(
            m.key.lower() == self.entry["modelKey"].lower() for m in ctx.state.downloaded
        )
        self.owned = downloaded
        self.selected: int | None = None if downloaded or not self.options else 0
        self.version = 0

    def model_node(self, state: str) -> dict[str, Any]:
        assert self.entry is not None
        node: dict[str, Any] = {
            "type": "model",
            "state": state,
            "dependencyLabel": self.entry["modelKey"],
        }
        if state == "pending":
            return node
        infos = [
            {
                "displayName": o.name,
                "sizeBytes": o.size_bytes,
                "quantName": o.quantization,
                "compatibilityType": o.compatibility_type,
                "fitEstimation": o.fit_estimation,
                "availability": "downloaded" if self.owned and i == 0 else "notDownloaded",
                "recommended": o.recommended,
            }
            for i, o in enumerate(self.options)
        ]
        node.update(
            resolvedSources=1,
            totalSources=1,
            downloadOptions=infos,
            selectedDownloadOptionIndex=self.selected,
            recommendedDownloadOptionIndex=0,
        )
        if self.owned:
            node["alreadyOwned"] = {
                k: infos[0][k]
                for k in ("displayName", "sizeBytes", "quantName", "compatibilityType")
            } | {"modelKey": self.entry["modelKey"]}
        if self.selected is not None:
            chosen = infos[self.selected]
            node["selected"] = {
                k: chosen[k] for k in ("displayName", "sizeBytes", "quantName", "compatibilityType")
            }
        return node

    def plan(self, state: str) -> dict[str, Any]:
        nodes: list[dict[str, Any]] = []
        if self.key is not None:
            owner, _, name = self.key.partition("/")
            nodes.append(
                {
                    "type": "artifact",
                    "owner": owner,
                    "name": name,
                    "state": "satisfied" if state != "pending" else "pending",
                    "artifactType": self.artifact["type"],
                    "dependencyNodes": [1] if self.entry is not None else [],
                }
            )
        if self.entry is not None:
            nodes.append(self.model_node(state))
        size = 0
        if state != "pending" and self.selected is not None:
            size = int(self.options[self.selected].size_bytes)
        elif state != "pending" and self.entry is None:
            size = sum(len(t.encode()) for t in self.artifact["files"].values())
        return {
            "nodes": nodes,
            "downloadSizeBytes": size,
            "downloadAction": "startNewDownload" if size else "none",
            "version": self.version,
        }


@channel("createDownloadPlan", "repository")
async def create_download_plan(ch: Channel, creation: Any) -> None:
    key, artifact = _target(ch, creation.target)
    plan = _Plan(ch, key, artifact)
    await ch.send({"type": "planUpdated", "plan": plan.plan("pending")})
    plan.version = 1
    await ch.send({"type": "planReady", "plan": plan.plan("satisfied")})
    while True:
        packet = await ch.receive()
        match packet.get("type"):
            case "cancelPlan":
                return
            case "setSelectedDownloadOptionIndex":
                index = packet["selectedDownloadOptionIndex"]
                if packet["nodeIndex"] != (1 if key is not None else 0) or plan.entry is None:
                    raise FakeServerError(f"Node {packet['nodeIndex']} is not a model node")
                if index is not None and not 0 <= index < len(plan.options):
                    raise FakeServerError(f"No download option {index}")
                if index is None and not plan.owned:
                    raise FakeServerError("The model is not downloaded already")
                plan.selected = index
                plan.version = max(plan.version + 1, int(packet["requestedPlanVersion"]))
                await ch.send({"type": "planUpdated", "plan": plan.plan("satisfied")})
                await ch.send({"type": "planReady", "plan": plan.plan("satisfied")})
            case "commit":
                break
            case _:  # cancelDownload before a download: nothing to cancel
                pass
    if plan.entry is not None and plan.selected is not None:
        download = asyncio.ensure_future(
            download_option(ch, plan.entry, plan.options[plan.selected])
        )
        cancel = asyncio.ensure_future(ch.receive())
        done, _ = await asyncio.wait({download, cancel}, return_when=asyncio.FIRST_COMPLETED)
        if download not in done:
            download.cancel()
            raise FakeServerError("Download cancelled")
        cancel.cancel()
        download.result()
    elif plan.entry is None:
        hub_state(ch.core).installed_plugins.append(str(key))
    await ch.send({"type": "success"})
