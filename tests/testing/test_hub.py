"""``repository`` hub endpoints of the fake, judged by the strict schema (``wire.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lmstudio.testing import FakeLMStudio


def test_hub_answers(server: FakeLMStudio, connect_to: Any, tmp_path: Path) -> None:
    repository = connect_to(server, "repository")
    catalog = repository.result("getModelCatalog")["models"]
    assert catalog[0]["type"] == "model" and catalog[0]["metadata"]["type"] == "llm"
    assert len(repository.result("fuzzyFindStaffPicks", {})["results"]) == 2
    assert repository.result("getAuthenticationStatus") == {
        "authenticationStatus": {"type": "none"}
    }
    assert repository.result("isAuthenticated") == {"authenticated": False}
    server.hub_user = "alice"
    assert repository.result("getAuthenticationStatus") == {
        "authenticationStatus": {"type": "loggedInUser", "userName": "alice"}
    }
    assert repository.result("getWritableArtifactOwners") == {"owners": ["alice"]}
    repository.result("deauthenticate")
    assert "Not logged in" in repository.error("getWritableArtifactOwners")["title"]
    (tmp_path / "a.txt").write_text("x")
    assert repository.result("getLocalArtifactFiles", {"path": str(tmp_path)}) == {
        "fileList": {"files": [{"relativePath": "a.txt", "sizeBytes": 1}], "usedIgnoreFile": None}
    }
