"""Errors in LM Studio's wire shape (``serializedLMSExtendedError``).

A handler raises :class:`FakeServerError`; the session turns it into ``rpcError`` or
``channelError``. The builders give the ``displayData`` codes LM Studio uses, which the
official SDKs map to typed errors (``generic.noModelMatchingQuery`` and
``generic.pathNotFound`` become a model-not-found error, ``generic.presetNotFound`` a
preset-not-found error).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "FakeServerError",
    "identifier_not_found",
    "no_model_matching_query",
    "path_not_found",
    "preset_not_found",
]

_SAMPLE = 10


class FakeServerError(Exception):
    """An error the fake server answers with (``rpcError`` / ``channelError``).

    Raise it from a per-test handler to make the call fail. ``None`` leaves a field
    absent on the wire.
    """

    def __init__(
        self,
        title: str,
        *,
        cause: str | None = None,
        suggestion: str | None = None,
        error_data: Mapping[str, Any] | None = None,
        display_data: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(title)
        self.title = title
        self.cause = cause
        self.suggestion = suggestion
        self.error_data = error_data
        self.display_data = display_data

    def to_wire(self) -> dict[str, Any]:
        """The ``serializedLMSExtendedError`` object."""
        error: dict[str, Any] = {"title": self.title, "rootTitle": self.title}
        if self.cause is not None:
            error["cause"] = self.cause
        if self.suggestion is not None:
            error["suggestion"] = self.suggestion
        if self.error_data is not None:
            error["errorData"] = dict(self.error_data)
        if self.display_data is not None:
            error["displayData"] = dict(self.display_data)
        error["stack"] = f"Error: {self.title}\n    at FakeLMStudio (lmstudio.testing)"
        return error


def no_model_matching_query(query: Mapping[str, Any], loaded: Sequence[str]) -> FakeServerError:
    return FakeServerError(
        "No model found that fits the query",
        display_data={
            "code": "generic.noModelMatchingQuery",
            "query": dict(query),
            "loadedModelsSample": list(loaded[:_SAMPLE]),
            "totalLoadedModels": len(loaded),
        },
    )


def path_not_found(path: str, available: Sequence[str]) -> FakeServerError:
    return FakeServerError(
        f'Cannot find a model with path "{path}"',
        display_data={
            "code": "generic.pathNotFound",
            "path": path,
            "availablePathsSample": list(available[:_SAMPLE]),
            "totalModels": len(available),
        },
    )


def identifier_not_found(identifier: str, loaded: Sequence[str]) -> FakeServerError:
    return FakeServerError(
        f'Cannot find a loaded model with identifier "{identifier}"',
        display_data={
            "code": "generic.identifierNotFound",
            "identifier": identifier,
            "loadedModelsSample": list(loaded[:_SAMPLE]),
            "totalLoadedModels": len(loaded),
        },
    )


def preset_not_found(name: str, presets: Sequence[str]) -> FakeServerError:
    return FakeServerError(
        f'Cannot find preset "{name}"',
        display_data={
            "code": "generic.presetNotFound",
            "specifiedFuzzyPresetIdentifier": name,
            "availablePresetsSample": [{"identifier": p, "name": p} for p in presets[:_SAMPLE]],
            "totalAvailablePresets": len(presets),
        },
    )
