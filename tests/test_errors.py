"""The exception hierarchy and how server errors are rendered."""

from __future__ import annotations

import asyncio
import concurrent.futures
import pickle

import pytest

from lmstudio import errors
from lmstudio.errors import (
    LMStudioCancelledError,
    LMStudioClientError,
    LMStudioError,
    LMStudioModelNotFoundError,
    LMStudioPredictionError,
    LMStudioPresetNotFoundError,
    LMStudioProtocolError,
    LMStudioRuntimeError,
    LMStudioServerError,
    LMStudioTimeoutError,
    LMStudioValueError,
    LMStudioWebsocketError,
    server_error_from_payload,
)


@pytest.mark.parametrize(
    ("cls", "bases"),
    [
        (LMStudioServerError, (LMStudioError,)),
        (LMStudioModelNotFoundError, (LMStudioServerError,)),
        (LMStudioPresetNotFoundError, (LMStudioServerError,)),
        (LMStudioPredictionError, (LMStudioServerError,)),
        (LMStudioClientError, (LMStudioError,)),
        (LMStudioWebsocketError, (LMStudioClientError,)),
        (LMStudioProtocolError, (LMStudioWebsocketError,)),
        (LMStudioCancelledError, (LMStudioClientError, concurrent.futures.CancelledError)),
        (LMStudioTimeoutError, (LMStudioError, TimeoutError, concurrent.futures.TimeoutError)),
        (LMStudioRuntimeError, (LMStudioError, RuntimeError)),
        (LMStudioValueError, (LMStudioError, ValueError)),
    ],
)
def test_hierarchy(cls: type[Exception], bases: tuple[type[BaseException], ...]) -> None:
    for base in bases:
        assert issubclass(cls, base)


def test_cancelled_is_not_asyncio_cancellation() -> None:
    # An Exception, not a BaseException: it never cancels the task that sees it.
    assert not issubclass(LMStudioCancelledError, asyncio.CancelledError)


def test_every_public_error_is_documented_in_the_tree() -> None:
    tree = errors.__doc__ or ""
    for name in errors.__all__:
        if name.startswith("LMStudio"):
            assert name in tree


def test_rendering() -> None:
    error = server_error_from_payload(
        {
            "title": "Boom",
            "rootTitle": "Boom",
            "cause": "because",
            "suggestion": "try again",
            "errorData": {"n": 1},
            "displayData": {"code": "some.newCode", "x": 2},
            "stack": "Error: at server.js",
        }
    )
    assert type(error) is LMStudioServerError
    assert str(error) == (
        "Boom\n  Cause: because\n  Suggestion: try again\n"
        '  Details: {"code": "some.newCode", "x": 2}\n  Error data: {"n": 1}'
    )
    assert error.code == "some.newCode"
    assert error.stack == "Error: at server.js"
    assert "server.js" not in str(error)


def test_title_only() -> None:
    assert str(server_error_from_payload({"title": "Boom"})) == "Boom"
    assert str(server_error_from_payload({"rootTitle": "Root"})) == "Root"
    assert str(server_error_from_payload({})) == "Unknown error"
    assert str(server_error_from_payload("plain text")) == "plain text"
    assert str(server_error_from_payload(42)) == "Unknown error"


def test_malformed_fields_are_dropped() -> None:
    error = server_error_from_payload({"title": "T", "cause": 5, "displayData": "x"})
    assert (error.cause, error.display_data, error.code) == (None, None, None)


@pytest.mark.parametrize(
    ("display", "cls", "text"),
    [
        (
            {
                "code": "generic.noModelMatchingQuery",
                "query": {"identifier": "nope"},
                "loadedModelsSample": ["a", "b"],
                "totalLoadedModels": 5,
            },
            LMStudioModelNotFoundError,
            'No loaded model matches {"identifier": "nope"}. Loaded models: a, b (5 in total).',
        ),
        (
            {
                "code": "generic.pathNotFound",
                "path": "x/y",
                "availablePathsSample": [],
                "totalModels": 0,
            },
            LMStudioModelNotFoundError,
            "No downloaded model matches 'x/y'. Available models: none.",
        ),
        (
            {
                "code": "generic.identifierNotFound",
                "identifier": "m",
                "loadedModelsSample": ["a"],
                "totalLoadedModels": 1,
            },
            LMStudioModelNotFoundError,
            "No loaded model has identifier 'm'. Loaded models: a.",
        ),
        (
            {
                "code": "generic.presetNotFound",
                "specifiedFuzzyPresetIdentifier": "p",
                "availablePresetsSample": [{"identifier": "q", "name": "Q"}],
                "totalAvailablePresets": 1,
            },
            LMStudioPresetNotFoundError,
            "No preset matches 'p'. Available presets: q.",
        ),
        (
            {"code": "generic.specificModelUnloaded"},
            LMStudioServerError,
            "The model was unloaded.",
        ),
        (
            {
                "code": "generic.domainMismatch",
                "path": "x",
                "actualDomain": "embedding",
                "expectedDomain": "llm",
            },
            LMStudioServerError,
            "The model at 'x' is a embedding model, not a llm model.",
        ),
    ],
)
def test_display_data_picks_the_class_and_the_words(
    display: dict[str, object], cls: type[LMStudioServerError], text: str
) -> None:
    error = server_error_from_payload({"title": "Failed", "displayData": display})
    assert type(error) is cls
    assert str(error) == f"Failed\n  {text}"
    assert error.display_data == display


def test_default_class_for_features() -> None:
    error = server_error_from_payload({"title": "x"}, default_class=LMStudioPredictionError)
    assert type(error) is LMStudioPredictionError


def test_server_errors_pickle() -> None:
    error = server_error_from_payload(
        {"title": "T", "cause": "c", "displayData": {"code": "generic.pathNotFound", "path": "p"}}
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is LMStudioModelNotFoundError
    assert (copy.title, copy.cause, str(copy)) == (error.title, error.cause, str(error))
