"""``lmstudio``'s public names: complete, each resolving, the same for type checkers."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pydoc
import re
import subprocess
import sys
from pathlib import Path

import lmstudio
from lmstudio import errors

INIT = Path(lmstudio.__file__)
ROOT = INIT.parents[1]


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
        module = importlib.import_module(f".{module_name}", "lmstudio")
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


def test_lmstudio_llm_is_only_the_function() -> None:
    assert callable(lmstudio.llm) and lmstudio.llm.__module__ == "lmstudio"
    assert importlib.util.find_spec("lmstudio.llm") is None  # no module of that name
    from lmstudio import llm

    assert llm is lmstudio.llm


PUBLIC_MODULES = {"lmstudio", "lmstudio.errors", "lmstudio.testing", "lmstudio.plugin"}


def test_every_other_module_is_private() -> None:
    for path in INIT.parent.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name in PUBLIC_MODULES or name.startswith("lmstudio.testing."):
            continue
        assert any(part.startswith("_") for part in parts[1:]), name


def test_public_objects_say_lmstudio() -> None:
    for name in lmstudio._EXPORTS:
        value = getattr(lmstudio, name)
        if getattr(value, "__module__", "").startswith("lmstudio._protocol"):
            continue  # generated protocol structs keep theirs (msgspec resolves annotations there)
        if not getattr(value, "__module__", "lmstudio").startswith("lmstudio"):
            continue  # another library's object under an official name (ValidationError, Any)
        if isinstance(value, type) or inspect.isfunction(value):
            assert value.__module__ == "lmstudio", name
            assert pydoc.locate(f"lmstudio.{name}") is value, name
            # an alias (AsyncClient = Client) names an object exported under its own name
            assert getattr(lmstudio, value.__name__) is value, name
    assert repr(lmstudio.Call) == "<class 'lmstudio.Call'>"
    assert "class LLM in module lmstudio\n" in pydoc.render_doc(
        lmstudio.LLM, renderer=pydoc.plaintext
    )


def test_objects_say_lmstudio_however_they_were_reached() -> None:
    code = (
        "import lmstudio, sys\n"
        "from lmstudio._resources.llm import LLM\n"
        "from lmstudio._prediction.results import PredictionResult\n"
        "assert LLM.__module__ == 'lmstudio' and PredictionResult.__module__ == 'lmstudio'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


TYPED_USAGE = """
from typing_extensions import assert_type

import lmstudio as lms
from lmstudio import llm as llm_function


def block(client: lms.Client) -> None:
    model = lms.llm().result()
    assert_type(model, lms.LLM)
    assert_type(llm_function("key").result(), lms.LLM)
    assert_type(model.respond("hi", config={"temperature": 0.5}).result(), lms.PredictionResult[str])
    stream = model.respond_stream("hi")
    assert_type(stream, lms.PredictionStream[str])
    for fragment in stream:
        assert_type(fragment, lms.PredictionFragment)
    assert_type(stream.stats, lms.LlmPredictionStats | None)
    assert_type(model.tokenize("x").result(), list[int])
    assert_type(model.tokenize(["x"]).result(), list[list[int]])
    embedder = lms.embedding_model().result()
    assert_type(embedder.embed("x").result(), list[float])
    assert_type(embedder.embed(["x"]).result(), list[list[float]])
    assert_type(client.llm.model("x").result(), lms.LLM)
    assert_type(client.embedding.list_loaded().result(), list[lms.EmbeddingModel])
    assert_type(client.llm.list_downloaded().result()[0].model().result(), lms.LLM)
    assert_type(lms.list_loaded_models().result(), list[lms.LLM | lms.EmbeddingModel])
    client.llm.model("x", config=lms.EmbeddingLoadModelConfig())  # error


async def await_() -> None:
    model = await lms.llm()
    assert_type(model, lms.LLM)
    async for fragment in model.respond_stream("hi"):
        assert_type(fragment, lms.PredictionFragment)
    assert_type(await model.respond("x"), lms.PredictionResult[str])
    assert_type(await model.get_info(), lms.LlmInstanceInfo)
"""


def test_type_checkers_resolve_the_public_api(tmp_path: Path) -> None:
    usage = tmp_path / "usage.py"
    usage.write_text(TYPED_USAGE)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(usage)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    expected = [
        n for n, line in enumerate(TYPED_USAGE.splitlines(), start=1) if line.endswith("# error")
    ]
    assert [int(line.split(":")[1]) for line in errors] == expected, done.stdout


GENERATED_NAME = re.compile(
    r"\w*(Rpc|Channel)\w*(Returns|Parameter|Packet)\b|ChatMessage(Part|Data)\w*"
)


def _public_annotations() -> dict[str, str]:
    """Every annotation (as written) of the public functions, methods and properties."""
    found: dict[str, str] = {}

    def add(where: str, function: object) -> None:
        for name, annotation in inspect.get_annotations(function).items():  # type: ignore[arg-type]
            found[f"{where} {name}"] = str(annotation)

    for name in lmstudio.__all__:
        value = getattr(lmstudio, name)
        if inspect.isfunction(value):
            add(name, value)
        elif inspect.isclass(value) and value.__module__ == "lmstudio":
            for attr, member in vars(value).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                if isinstance(member, property) and member.fget is not None:
                    add(f"{name}.{attr}", member.fget)
                elif inspect.isfunction(member):
                    add(f"{name}.{attr}", member)
    return found


def test_no_generated_endpoint_name_in_a_public_signature() -> None:
    annotations = _public_annotations()
    assert len(annotations) > 200  # the scan sees the API
    offending = {where: text for where, text in annotations.items() if GENERATED_NAME.search(text)}
    assert offending == {}


def test_the_namespaces_speak_public_names_too() -> None:
    from lmstudio._resources import (
        diagnostics,
        embedding,
        files,
        llm,
        lm_link,
        model_extras,
        models,
        repository,
        runtime,
        system,
        system_admin,
    )

    offending = {}
    for module in (
        diagnostics,
        embedding,
        files,
        llm,
        lm_link,
        model_extras,
        models,
        repository,
        runtime,
        system,
        system_admin,
    ):
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ not in (module.__name__, "lmstudio"):
                continue
            if cls.__name__.startswith("_"):
                continue
            for attr, member in vars(cls).items():
                function = member.fget if isinstance(member, property) else member
                if attr.startswith("_") or not inspect.isfunction(function):
                    continue
                for name, text in inspect.get_annotations(function).items():
                    if GENERATED_NAME.search(str(text)):
                        offending[f"{cls.__name__}.{attr} {name}"] = text
    assert offending == {}
    assert "Call[LMStudioVersion]" in str(inspect.get_annotations(system.SystemNamespace.version))
