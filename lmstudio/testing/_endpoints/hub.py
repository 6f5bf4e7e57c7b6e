"""``repository``: the hub's catalog and staff picks, hub authentication, local artifacts.

The catalog lists the fake hub's models (``repository.py``: the hub-only models, then the
downloaded ones) as LM Studio's ``hubModel`` entries; the staff picks are the hub-only
models, found by words of ``searchTerm`` in their name or description. The fake is not
logged in to the hub until a test sets ``server.hub_user`` (a kebab-case user name) or a
client logs in (``hub_account.py``); ``deauthenticate`` logs it out;
``getWritableArtifactOwners`` answers the user or compute device owner (an error while
logged out). ``getLocalArtifactFiles`` lists a directory of the server's machine
(sorted relative paths, ``/``-separated), leaving out what a ``.lmsignore`` there names.
"""

from __future__ import annotations

import fnmatch
import os
from typing import Any

from lmstudio.testing._endpoints._registry import rpc
from lmstudio.testing._endpoints.hub_account import (
    compute_device_status,
    hub_state,
    logged_in_owner,
)
from lmstudio.testing._endpoints.repository import HUB_ONLY, hub_entries
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._session import CallContext

STAFF_PICKED_AT = 1_767_225_600_000  # 2026-01-01, milliseconds
IGNORE_FILE = ".lmsignore"


def _hub_model(index: int, entry: dict[str, Any]) -> dict[str, Any]:
    owner, _, name = str(entry["modelKey"]).rpartition("/")
    metadata: dict[str, Any] = {
        "type": entry["type"],
        "architectures": [entry["architecture"]] if entry.get("architecture") else [],
        "compatibilityTypes": [entry.get("format", "gguf")],
        "paramsStrings": [entry["paramsString"]] if "paramsString" in entry else [],
        "minMemoryUsageBytes": entry["sizeBytes"],
        "contextLengths": [entry["maxContextLength"]],
    }
    if entry["type"] == "llm":
        metadata["trainedForToolUse"] = bool(entry.get("trainedForToolUse", False))
        metadata["vision"] = bool(entry.get("vision", False))
        metadata["reasoning"] = False
    model: dict[str, Any] = {
        "type": "model",
        "owner": owner or str(entry["publisher"]),
        "name": name,
        "description": str(entry["displayName"]),
        "downloads": 1000 * (index + 1),
        "likeCount": 10 * (index + 1),
        "metadata": metadata,
    }
    if entry in HUB_ONLY:
        model["staffPickedAt"] = STAFF_PICKED_AT
    return model


@rpc("getModelCatalog", "repository")
async def get_model_catalog(ctx: CallContext, _: None) -> Any:
    return {"models": [_hub_model(i, entry) for i, entry in enumerate(hub_entries(ctx))]}


@rpc("fuzzyFindStaffPicks", "repository")
async def fuzzy_find_staff_picks(ctx: CallContext, param: Any) -> Any:
    term = str(getattr(param, "search_term", "") or "").strip().lower()
    formats = getattr(param, "compatibility_types", None)
    found = []
    for index, entry in enumerate(HUB_ONLY):
        owner, _, name = str(entry["modelKey"]).rpartition("/")
        text = f"{name} {entry['displayName']}".lower()
        if not all(word in text for word in term.split()):
            continue
        if isinstance(formats, list) and entry.get("format", "gguf") not in formats:
            continue
        found.append(
            {
                "owner": owner,
                "name": name,
                "revisionNumber": 1,
                "createdAtTimestamp": STAFF_PICKED_AT - index,
                "description": entry["displayName"],
                "exact": term in (name, str(entry["modelKey"]).lower()),
            }
        )
    found.sort(key=lambda pick: not pick["exact"])
    limit = getattr(param, "limit", None)
    return {"results": found[:limit] if isinstance(limit, int) else found}


def _status(ctx: CallContext) -> dict[str, Any]:
    user = ctx.core.hub_user
    if user is not None:
        return {"type": "loggedInUser", "userName": user}
    return compute_device_status(ctx.core) or {"type": "none"}


@rpc("getAuthenticationStatus", "repository")
async def get_authentication_status(ctx: CallContext, _: None) -> Any:
    return {"authenticationStatus": _status(ctx)}


@rpc("isAuthenticated", "repository")
async def is_authenticated(ctx: CallContext, _: None) -> Any:
    return {"authenticated": _status(ctx)["type"] != "none"}


@rpc("deauthenticate", "repository")
async def deauthenticate(ctx: CallContext, _: None) -> None:
    ctx.core.hub_user = None  # void: no result, as the TypeScript client validates
    hub_state(ctx.core).compute_owner = None


@rpc("getWritableArtifactOwners", "repository")
async def get_writable_artifact_owners(ctx: CallContext, _: None) -> Any:
    return {"owners": [logged_in_owner(ctx)]}


@rpc("getLocalArtifactFiles", "repository")
async def get_local_artifact_files(ctx: CallContext, param: Any) -> Any:
    root = param.path
    if not os.path.isdir(root):
        raise FakeServerError(f'"{root}" is not a directory')
    ignore_path = os.path.join(root, IGNORE_FILE)
    patterns: list[str] = []
    if os.path.isfile(ignore_path):
        with open(ignore_path, encoding="utf-8") as lines:
            patterns = [p.strip() for p in lines if p.strip() and not p.startswith("#")]
    files = []
    for folder, _, names in os.walk(root):
        for name in names:
            full = os.path.join(folder, name)
            relative = os.path.relpath(full, root).replace(os.sep, "/")
            if relative == IGNORE_FILE or any(
                fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns
            ):
                continue
            files.append({"relativePath": relative, "sizeBytes": os.path.getsize(full)})
    files.sort(key=lambda f: f["relativePath"])
    used = ignore_path if os.path.isfile(ignore_path) else None
    return {"fileList": {"files": files, "usedIgnoreFile": used}}
