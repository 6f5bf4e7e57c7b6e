"""``lmstudio``'s public names: complete, each resolving, the same for type checkers."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import lmstudio
from lmstudio import errors

INIT = Path(lmstudio.__file__)


def _type_checking_imports() -> set[str]:
    """Names the ``if TYPE_CHECKING:`` block of ``lmstudio/__init__.py`` imports."""
    tree = ast.parse(INIT.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                names.update(alias.asname or alias.name for alias in statement.names)
    return names


def test_all_is_the_lazy_exports() -> None:
    assert len(lmstudio.__all__) == len(set(lmstudio.__all__))
    assert set(lmstudio.__all__) == {"__version__", *lmstudio._EXPORTS}


def test_type_checkers_see_the_same_names() -> None:
    assert _type_checking_imports() == set(lmstudio._EXPORTS)


def test_every_export_resolves_from_its_module() -> None:
    for name, module_name in lmstudio._EXPORTS.items():
        module = importlib.import_module(module_name, "lmstudio")
        assert getattr(lmstudio, name) is getattr(module, name), name
    assert set(dir(lmstudio)) >= set(lmstudio.__all__)


def test_every_error_class_is_exported() -> None:
    classes = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, errors.LMStudioError)
    }
    assert classes <= set(lmstudio.__all__)


def test_requested_names_are_exported() -> None:
    requested = {
        # engine
        "Client", "ClientState", "USE_CLIENT_DEFAULT", "Call", "Stream",
        # predictions and history
        "LlmPredictionConfig", "LlmLoadModelConfig", "EmbeddingLoadModelConfig", "Chat",
        "ChatHistoryData", "FileHandle", "TextData", "ToolCallRequest", "ToolCallRequestData",
        "ToolCallResultData", "SystemPrompt", "UserMessage", "AssistantResponse",
        "ToolResultMessage", "PredictionResult", "PredictionFragment", "LlmPredictionStats",
        "PredictionMessageCallback", "PredictionFirstTokenCallback",
        "PredictionFragmentCallback", "PromptProcessingCallback",
        # models and the convenience API
        "LLM", "EmbeddingModel", "PredictionStream", "llm", "embedding_model",
        "list_loaded_models", "list_downloaded_models", "get_default_client",
        "configure_default_client",
    }  # fmt: skip
    assert requested <= set(lmstudio.__all__)


def test_unknown_names_raise_attribute_error() -> None:
    try:
        lmstudio.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_llm_stays_the_function_after_importing_the_module() -> None:
    from lmstudio.llm import LlmNamespace  # imports the submodule of the same name

    llm_module = importlib.import_module("lmstudio.llm")
    assert llm_module.LlmNamespace is LlmNamespace
    assert callable(lmstudio.llm) and lmstudio.llm.__module__ == "lmstudio.client"
    from lmstudio import llm

    assert llm is lmstudio.llm
