"""``client.llm`` and ``LLM`` handles end to end, each test blocking and awaiting."""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING, Any, TypedDict

import msgspec
import pydantic
import pytest

import lmstudio as lms
from lmstudio import (
    LLM,
    Chat,
    Client,
    DownloadedLlm,
    LlmLoadModelConfig,
    LlmPredictionConfig,
    LMStudioCancelledError,
    LMStudioModelNotFoundError,
    LMStudioPredictionError,
    LMStudioPresetNotFoundError,
    LMStudioServerError,
    LMStudioTimeoutError,
    LMStudioValueError,
    PredictionFragment,
    PredictionResult,
    PredictionStream,
    PromptProcessingDetails,
)
from lmstudio.testing import (
    FakeLMStudio,
    count_tokens,
    expected_reasoning,
    expected_reply,
    render_prompt,
    tokenize,
)

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client

HOUR_MS = 3_600_000


def creation(server: FakeLMStudio, endpoint: str) -> dict[str, Any]:
    """The creation parameter of the last ``endpoint`` channel the client opened."""
    parameter: dict[str, Any] = server.calls(endpoint)[-1]["creationParameter"]
    return parameter


def kv_fields(stack: dict[str, Any], layer: str = "apiOverride") -> dict[str, Any]:
    """``{key: value}`` of one layer of a wire ``kvConfigStack``."""
    for found in stack["layers"]:
        if found["layerName"] == layer:
            return {field["key"]: field["value"] for field in found["config"]["fields"]}
    raise AssertionError(f"no {layer} layer in {stack}")


# --- finding and loading models ---------------------------------------------------------


def test_model_without_key_is_any_loaded_model(style: Style, client: Client) -> None:
    async def body() -> None:
        model = await style.get(client.llm.model())
        assert isinstance(model, LLM)
        assert model.identifier == "fake/chat"
        assert model.model_info.model_key == "fake/chat"
        assert model == await style.get(client.llm.model())

    style.run(body)


def test_model_without_key_and_none_loaded(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    server.unload_model("fake/chat")

    async def body() -> None:
        with pytest.raises(LMStudioModelNotFoundError, match="No LLM is loaded"):
            await style.get(client.llm.model())

    style.run(body)
    with pytest.raises(LMStudioValueError, match="needs a model key"):
        client.llm.model(config={"context_length": 1000})


def test_model_already_loaded(style: Style, client: Client, server: FakeLMStudio) -> None:
    progress: list[float] = []

    async def body() -> None:
        model = await style.get(client.llm.model("fake/chat", on_load_progress=progress.append))
        assert model.identifier == "fake/chat"

    style.run(body)
    assert progress == [1.0]
    assert server.loaded_models() == ["fake/chat", "fake/embed"]


def test_model_loads_just_in_time(style: Style, client: Client, server: FakeLMStudio) -> None:
    progress: list[float] = []
    consumer: list[threading.Thread] = []

    def on_progress(value: float) -> None:
        progress.append(value)
        consumer.append(threading.current_thread())

    async def body() -> LLM:
        return await style.get(client.llm.model("fake/tools", on_load_progress=on_progress))

    model = style.run(body)
    assert model.identifier == "fake/tools"
    assert model.model_info.trained_for_tool_use
    assert progress == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert set(consumer) == {threading.current_thread()}  # where the call was consumed
    sent = creation(server, "getOrLoad")
    assert sent["identifier"] == "fake/tools"
    assert sent["loadTtlMs"] == HOUR_MS  # the official SDK's default TTL
    assert "fake/tools" in server.loaded_models()


@pytest.mark.parametrize(("ttl", "sent"), [(None, None), (90, 90_000), (0.5, 500)])
def test_model_ttl(
    style: Style, client: Client, server: FakeLMStudio, ttl: float | None, sent: int | None
) -> None:
    async def body() -> None:
        await style.get(client.llm.model("fake/vision", ttl=ttl))

    style.run(body)
    assert creation(server, "getOrLoad").get("loadTtlMs") == sent
    with pytest.raises(LMStudioValueError, match="ttl"):
        client.llm.model("fake/vision", ttl=0)


def test_model_not_found(style: Style, client: Client) -> None:
    async def body() -> None:
        with pytest.raises(LMStudioModelNotFoundError, match="no/such-model"):
            await style.get(client.llm.model("no/such-model"))

    style.run(body)


def test_load_new_instance(style: Style, client: Client, server: FakeLMStudio) -> None:
    progress: list[float] = []

    async def body() -> None:
        model = await style.get(
            client.llm.load_new_instance(
                "fake/chat",
                "second",
                config={"contextLength": 2048, "flash_attention": True},
                on_load_progress=progress.append,
            )
        )
        assert model.identifier == "second"
        assert model.model_info.context_length == 2048
        assert await style.get(model.get_context_length()) == 2048
        config = await style.get(model.get_load_config())
        assert isinstance(config, LlmLoadModelConfig)
        assert (config.context_length, config.flash_attention) == (2048, True)
        # Without an identifier LM Studio names the instance after the key.
        third = await style.get(client.llm.load_new_instance("fake/chat", ttl=None))
        assert third.identifier == "fake/chat:2"
        with pytest.raises(LMStudioServerError, match="already exists"):
            await style.get(client.llm.load_new_instance("fake/chat", "second"))

    style.run(body)
    assert progress == [0.25, 0.5, 0.75, 1.0]
    first, second = [call["creationParameter"] for call in server.calls("loadModel")[:2]]
    assert first["ttlMs"] == HOUR_MS
    assert kv_fields(first["loadConfigStack"]) == {
        "llm.load.llama.autoFit": False,  # a manual context length turns auto-fit off
        "llm.load.mlx.autoFit": False,
        "llm.load.yuzu.autoFit": False,
        "llm.load.contextLength": 2048,
        "llm.load.llama.flashAttention": True,
    }
    assert "ttlMs" not in second and "identifier" not in second


def test_list_loaded_and_unload(style: Style, client: Client, server: FakeLMStudio) -> None:
    server.load_model("fake/vision")

    async def body() -> None:
        loaded = await style.get(client.llm.list_loaded())
        assert [m.identifier for m in loaded] == ["fake/chat", "fake/vision"]
        assert all(isinstance(m, LLM) for m in loaded)
        await style.get(client.llm.unload("fake/vision"))
        await style.get(loaded[0].unload())
        assert await style.get(client.llm.list_loaded()) == []
        with pytest.raises(LMStudioModelNotFoundError):
            await style.get(loaded[0].get_info())
        with pytest.raises(LMStudioServerError):
            await style.get(client.llm.unload("fake/vision"))

    style.run(body)
    assert server.loaded_models() == ["fake/embed"]


def test_list_downloaded(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        downloaded = await style.get(client.llm.list_downloaded())
        assert [m.model_key for m in downloaded] == [
            "fake/chat",
            "fake/reasoning",
            "fake/tools",
            "fake/vision",
        ]
        vision = downloaded[3]
        assert isinstance(vision, DownloadedLlm)
        assert (vision.type, vision.info.vision) == ("llm", True)
        model = await style.get(vision.model())
        assert model.identifier == "fake/vision"
        other = await style.get(vision.load_new_instance(instance_identifier="eyes", ttl=60))
        assert other.identifier == "eyes"

    style.run(body)
    assert creation(server, "loadModel")["ttlMs"] == 60_000


def test_model_info(style: Style, client: Client) -> None:
    async def body() -> None:
        model = await style.get(client.llm.model("fake/chat"))
        info = await style.get(model.get_info())
        assert info == model.model_info
        assert await style.get(client.llm.get_model_info("fake/chat")) == info
        assert await style.get(model.get_context_length()) == info.context_length
        with pytest.raises(LMStudioModelNotFoundError):
            await style.get(client.llm.get_model_info("nothing"))

    style.run(body)


def test_handles_are_plain_objects(client: Client, ms: float) -> None:
    model = client.llm.model().result(20_000 * ms)
    assert repr(model) == "LLM(identifier='fake/chat')"
    assert model == client.llm.list_loaded().result(20_000 * ms)[0]
    assert len({model, client.llm.model("fake/chat").result(20_000 * ms)}) == 1
    with Client(client.api_host) as other:
        assert model != other.llm.model().result(20_000 * ms)  # bound to its own client


def test_tokenize_and_count(style: Style, client: Client) -> None:
    text = "Hello, world! How are you?"

    async def body() -> None:
        model = await style.get(client.llm.model())
        assert await style.get(model.tokenize(text)) == tokenize(text)
        assert await style.get(model.tokenize([text, "a b"])) == [tokenize(text), tokenize("a b")]
        assert await style.get(model.tokenize([])) == []
        assert await style.get(model.count_tokens(text)) == count_tokens(text)

    style.run(body)


# --- predictions ------------------------------------------------------------------------


def test_respond(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> PredictionResult:
        model = await style.get(client.llm.model())
        return await style.get(model.respond("Hello there!"))

    result = style.run(body)
    assert isinstance(result, PredictionResult)
    assert result.content == str(result) == expected_reply("Hello there!")
    assert result.parsed == result.content and not result.structured
    assert result.reasoning_content == ""
    assert result.stop_reason == "eosFound"
    assert result.stats.predicted_tokens_count == len(tokenize(result.content))
    assert result.model_info.identifier == "fake/chat"
    assert result.load_config.context_length == result.model_info.context_length
    sent = creation(server, "predict")
    assert sent["modelSpecifier"] == {"type": "query", "query": {"identifier": "fake/chat"}}
    assert sent["history"]["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Hello there!"}]}
    ]


def test_respond_stream(style: Style, client: Client) -> None:
    async def body() -> tuple[list[PredictionFragment], PredictionResult, PredictionStream]:
        model = await style.get(client.llm.model())
        stream = model.respond_stream("count to 5")
        fragments = await style.items(stream)
        return fragments, await style.get(stream), stream

    fragments, result, stream = style.run(body)
    assert [f.content for f in fragments] == ["1", " 2", " 3", " 4", " 5"]
    assert all(f.tokens_count == 1 and f.reasoning_type == "none" for f in fragments)
    assert result.content == "1 2 3 4 5"
    assert stream.stats == result.stats
    assert stream.model_info == result.model_info


def test_respond_to_a_chat(style: Style, client: Client) -> None:
    chat = Chat("You are terse.")

    async def body() -> None:
        model = await style.get(client.llm.model())
        chat.add_user_message("First question")
        first = await style.get(model.respond(chat))
        chat.add_assistant_response(first)
        chat.add_user_message("Second question")
        second = await style.get(model.respond(chat))
        assert second.content == expected_reply("Second question")
        prompt = await style.get(model.apply_prompt_template(chat))
        assert prompt == render_prompt(chat.to_dict()["messages"])
        # OpenAI-shaped history works as well
        openai = [{"role": "system", "content": "Hi"}, {"role": "user", "content": "Third"}]
        assert (await style.get(model.respond(openai))).content == expected_reply("Third")

    style.run(body)
    assert len(chat) == 4


def test_stream_stats_wait_for_the_end(client: Client, server: FakeLMStudio, ms: float) -> None:
    model = client.llm.model().result(20_000 * ms)
    with server.faults.silence("predict"):
        stream = model.respond_stream("Hi")
        assert (stream.stats, stream.model_info) == (None, None)  # not finished
        stream.cancel()
    assert (stream.stats, stream.model_info) == (None, None)  # cancelled: no result


def test_respond_copies_the_history(client: Client, ms: float) -> None:
    chat = Chat()
    chat.add_user_message("original")
    model = client.llm.model().result(20_000 * ms)
    stream = model.respond_stream(chat)
    chat.add_user_message("added later")
    assert stream.result(20_000 * ms).content == expected_reply("original")


def test_complete(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> PredictionResult:
        model = await style.get(client.llm.model())
        stream = model.complete_stream("count to 3")
        assert [f.content for f in await style.items(stream)] == ["1", " 2", " 3"]
        return await style.get(model.complete("Once upon a time"))

    result = style.run(body)
    assert result.content == expected_reply("Once upon a time")
    sent = creation(server, "predict")
    assert kv_fields(sent["predictionConfigStack"])["llm.prediction.stopStrings"] == []
    formatting = kv_fields(sent["predictionConfigStack"], "completeModeFormatting")
    assert formatting["llm.prediction.promptTemplate"]["type"] == "jinja"


def test_reasoning_kept_apart(style: Style, client: Client) -> None:
    async def body() -> tuple[list[PredictionFragment], PredictionResult]:
        model = await style.get(client.llm.model("fake/reasoning"))
        stream = model.respond_stream("Why?")
        return await style.items(stream), await style.get(stream)

    fragments, result = style.run(body)
    assert result.content == "".join(f.content for f in fragments)  # everything, as official
    assert result.non_reasoning_content == expected_reply("Why?")
    assert result.reasoning_content == expected_reasoning("Why?")
    assert result.content.startswith("<think>") and result.content.endswith(expected_reply("Why?"))
    kinds = {f.reasoning_type for f in fragments}
    assert kinds == {"reasoningStartTag", "reasoning", "reasoningEndTag", "none"}
    answer = "".join(
        f.content for f in fragments if f.reasoning_type == "none" and not f.is_structural
    )
    assert answer == result.non_reasoning_content


@pytest.mark.parametrize(
    "config",
    [
        {"temperature": 0.01, "max_tokens": 3, "stop_strings": ["never"], "top_k_sampling": 20},
        {"temperature": 0.01, "maxTokens": 3, "stopStrings": ["never"], "topKSampling": 20},
        LlmPredictionConfig(
            temperature=0.01, max_tokens=3, stop_strings=["never"], top_k_sampling=20
        ),
    ],
    ids=["snake", "camel", "typed"],
)
def test_prediction_config(style: Style, client: Client, server: FakeLMStudio, config: Any) -> None:
    async def body() -> PredictionResult:
        model = await style.get(client.llm.model())
        return await style.get(model.respond("Tell me everything", config=config))

    result = style.run(body)
    assert result.stop_reason == "maxPredictedTokensReached"
    assert result.content == "".join(
        tokenize_text(expected_reply("Tell me everything", temperature=0.01))[:3]
    )
    assert result.prediction_config.temperature == 0.01
    assert result.prediction_config.max_tokens == 3
    assert kv_fields(creation(server, "predict")["predictionConfigStack"]) == {
        "llm.prediction.maxPredictedTokens": {"checked": True, "value": 3},
        "llm.prediction.temperature": 0.01,
        "llm.prediction.stopStrings": ["never"],
        "llm.prediction.topKSampling": 20,
    }


def tokenize_text(text: str) -> list[str]:
    from lmstudio.testing import split_tokens

    return split_tokens(text)


def test_invalid_config_fails_before_sending(
    client: Client, server: FakeLMStudio, ms: float
) -> None:
    model = client.llm.model().result(20_000 * ms)
    with pytest.raises(LMStudioValueError, match="temprature"):
        model.respond("hi", config={"temprature": 0.5})
    with pytest.raises(LMStudioValueError):
        model.respond("hi", config={"max_tokens": True})
    assert server.calls("predict") == []


def test_stop_strings(style: Style, client: Client) -> None:
    async def body() -> PredictionResult:
        model = await style.get(client.llm.model())
        return await style.get(model.respond("count to 9", config={"stop_strings": [" 4"]}))

    result = style.run(body)
    assert (result.content, result.stop_reason) == ("1 2 3", "stopStringFound")


def test_speculative_decoding(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> tuple[list[PredictionFragment], PredictionResult]:
        model = await style.get(client.llm.model())
        stream = model.respond_stream("count to 6", config={"draft_model": "fake/chat"})
        return await style.items(stream), await style.get(stream)

    fragments, result = style.run(body)
    assert [f.contains_drafted for f in fragments] == [False, True] * 3
    assert result.stats.used_draft_model_key == "fake/chat"
    assert result.stats.accepted_draft_tokens_count == 3
    assert result.prediction_config.draft_model == "fake/chat"
    assert (
        kv_fields(creation(server, "predict")["predictionConfigStack"])[
            "llm.prediction.speculativeDecoding.draftModel"
        ]
        == "fake/chat"
    )


@pytest.mark.fake_lmstudio(presets={"Cold": {"llm.prediction.temperature": 0.0}})
def test_preset(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        model = await style.get(client.llm.model())
        result = await style.get(model.respond("Hi", preset="cold", config={"temperature": 0.01}))
        # The config layer wins over the preset.
        assert result.content == expected_reply("Hi", temperature=0.01)
        with pytest.raises(LMStudioPresetNotFoundError, match="Warm"):
            await style.get(model.respond("Hi", preset="Warm"))

    style.run(body)
    assert creation(server, "predict")["fuzzyPresetIdentifier"] == "Warm"


# --- structured output ------------------------------------------------------------------


class BookStruct(msgspec.Struct):
    title: str
    year: int


@dataclasses.dataclass
class BookDataclass:
    title: str
    year: int


class BookDict(TypedDict):
    title: str
    year: int


class BookModel(pydantic.BaseModel):
    title: str
    year: int


class BookLms(lms.BaseModel):  # the official SDK's pydantic-style base, without pydantic
    title: str
    year: int


SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "year": {"type": "integer", "minimum": 1900}},
    "required": ["title", "year"],
}


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        (SCHEMA, {"title": "title", "year": 1900}),
        (BookStruct, BookStruct(title="title", year=1)),
        (BookDataclass, BookDataclass(title="title", year=1)),
        (BookDict, {"title": "title", "year": 1}),
        (BookModel, BookModel(title="title", year=1)),
        (BookLms, BookLms(title="title", year=1)),
    ],
    ids=["schema", "struct", "dataclass", "typeddict", "pydantic", "lms-basemodel"],
)
def test_structured_output(
    style: Style, client: Client, server: FakeLMStudio, response_format: Any, expected: Any
) -> None:
    async def body() -> PredictionResult:
        model = await style.get(client.llm.model())
        return await style.get(model.respond("A book, please", response_format=response_format))

    result = style.run(body)
    assert result.structured
    assert result.parsed == expected
    assert type(result.parsed) is type(expected)
    structured = kv_fields(creation(server, "predict")["predictionConfigStack"])[
        "llm.prediction.structured"
    ]
    assert structured["type"] == "json"
    assert structured["jsonSchema"]["properties"]["title"]["type"] == "string"


def test_cancel_leaves_a_result(style: Style, client: Client, server: FakeLMStudio) -> None:
    server.set_fragment_delay(0.002)

    async def body() -> tuple[list[str], PredictionResult, PredictionStream]:
        model = await style.get(client.llm.model())
        stream = model.respond_stream("count to 10000")
        seen = []
        async for fragment in style.iterate(stream):
            seen.append(fragment.content)
            if len(seen) == 3:
                assert stream.cancel()
        return seen, await style.get(stream), stream

    seen, result, stream = style.run(body)
    assert seen == ["1", " 2", " 3"]  # iteration ends at once
    assert result.stop_reason == "userStopped"
    assert result.content.startswith("1 2 3")
    assert len(result.content) < len(expected_reply("count to 10000"))
    assert stream.stats == result.stats


# --- callbacks --------------------------------------------------------------------------


def test_callbacks_run_where_consumed(style: Style, client: Client) -> None:
    events: list[tuple[str, Any]] = []
    threads: set[threading.Thread] = set()

    def record(name: str) -> Any:
        def callback(*args: Any) -> None:
            threads.add(threading.current_thread())
            events.append((name, args[0] if args else None))

        return callback

    async def body() -> PredictionResult:
        model = await style.get(client.llm.model())
        return await style.get(
            model.respond(
                "count to 2",
                on_message=record("message"),
                on_first_token=record("first"),
                on_prediction_fragment=record("fragment"),
                on_prompt_processing_progress=record("progress"),
            )
        )

    result = style.run(body)
    names = [name for name, _ in events]
    assert names == ["progress", "progress", "progress", "first", "fragment", "fragment", "message"]
    assert [value for name, value in events if name == "progress"] == [0.0, 0.5, 1.0]
    assert [value.content for name, value in events if name == "fragment"] == ["1", " 2"]
    assert events[-1][1].content[0].text == result.content
    assert threads == {threading.current_thread()}


def test_callbacks_wait_for_the_consumer(client: Client, ms: float) -> None:
    fragments: list[str] = []
    model = client.llm.model().result(20_000 * ms)
    stream = model.respond_stream(
        "count to 3", on_prediction_fragment=lambda f: fragments.append(f.content)
    )
    assert stream.exception(20_000 * ms) is None  # finished, nobody consumed it yet
    assert fragments == []
    stream.result(20_000 * ms)
    assert fragments == ["1", " 2", " 3"]


# --- images and failures ----------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def test_images_in_a_chat(style: Style, client: Client) -> None:
    async def body() -> None:
        image = await style.get(client.files.prepare_image(PNG, "red.png"))
        chat = Chat()
        chat.add_user_message("What is this?", images=[image])
        vision = await style.get(client.llm.model("fake/vision"))
        result = await style.get(vision.respond(chat))
        assert result.content == expected_reply("What is this?", images=["red.png"])
        text_only = await style.get(client.llm.model("fake/chat"))
        with pytest.raises(LMStudioPredictionError, match="does not support images"):
            await style.get(text_only.respond(chat))

    style.run(body)


def test_model_unloaded_meanwhile(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        model = await style.get(client.llm.model())
        server.unload_model("fake/chat")
        with pytest.raises(LMStudioModelNotFoundError):
            await style.get(model.respond("Hi"))

    style.run(body)


def test_invalid_arguments_raise_at_once(client: Client, ms: float) -> None:
    model = client.llm.model().result(20_000 * ms)
    with pytest.raises(LMStudioValueError):
        model.respond([])
    with pytest.raises(LMStudioValueError):
        model.complete(["not", "a", "string"])  # type: ignore[arg-type]
    with pytest.raises(LMStudioValueError):
        model.respond("hi", response_format="json")
    with pytest.raises(LMStudioValueError):
        model.apply_prompt_template("hi", opts={"omit_bos": True})
    with pytest.raises(LMStudioValueError):
        model.count_tokens(["a"])  # type: ignore[arg-type]
    with pytest.raises(LMStudioValueError):
        model.tokenize(["a", 1])  # type: ignore[list-item]


# --- timeouts and whole chats -----------------------------------------------------------


def test_timeouts(style: Style, client: Client, server: FakeLMStudio, ms: float) -> None:
    async def body() -> None:
        model = await style.get(client.llm.model())
        # No answer at all: the per-call inactivity timeout ends the wait.
        with server.faults.silence("predict"), pytest.raises(LMStudioTimeoutError):
            await style.get(model.respond("Hi", timeout=100 * ms))
        with server.faults.silence("getModelInfo"), pytest.raises(LMStudioTimeoutError):
            await style.get(model.get_info(timeout=100 * ms))
        with server.faults.silence("tokenize"), pytest.raises(LMStudioTimeoutError):
            await style.get(model.tokenize(["a", "b"], timeout=100 * ms))
        assert (await style.get(model.respond("Hi"))).content == expected_reply("Hi")

    style.run(body)


def test_result_timeout_leaves_the_prediction_running(
    client: Client, server: FakeLMStudio, ms: float
) -> None:
    server.set_fragment_delay(0.05)
    model = client.llm.model().result(20_000 * ms)
    stream = model.respond_stream("count to 4")
    with pytest.raises(LMStudioTimeoutError):
        stream.result(timeout=10 * ms)
    assert stream.result(20_000 * ms).content == "1 2 3 4"


def test_a_whole_chat_round_trips(style: Style, client: Client) -> None:
    chat = Chat("You are helpful.")
    chat.add_user_message("What is 2 + 3?")
    chat.add_tool_call_requests(
        [{"id": "call_1", "type": "function", "function": {"name": "add", "arguments": "{}"}}]
    )
    chat.add_tool_result({"tool_call_id": "call_1", "content": "5"})
    chat.add_assistant_response("It is 5.")
    chat.add_user_message("Thanks!")
    copied = Chat.from_json(chat.to_json())
    assert copied == chat and copied is not chat
    assert "call add()" in repr(chat)

    async def body() -> str:
        model = await style.get(client.llm.model())
        template = await style.get(model.apply_prompt_template(copied))
        assert template == render_prompt(chat.to_dict()["messages"])
        return (await style.get(model.respond(copied))).content

    assert style.run(body) == expected_reply("Thanks!")


@pytest.mark.fake_lmstudio(load_time=0.4)
def test_cancel_a_load(client: Client, server: FakeLMStudio, ms: float) -> None:
    call = client.llm.model("fake/tools")
    assert call.cancel()
    with pytest.raises(LMStudioCancelledError):
        call.result(20_000 * ms)
    assert "fake/tools" not in server.loaded_models()
    assert client.llm.model("fake/tools").result(20_000 * ms).identifier == "fake/tools"


def test_consume_in_background_runs_callbacks_live(client: Client, ms: float) -> None:
    import concurrent.futures

    model = client.llm.model("fake/chat").result(5000 * ms)
    seen: dict[str, list[str]] = {"a": [], "b": []}
    threads: set[int] = set()

    def show(key: str) -> Any:
        def on_fragment(fragment: Any) -> None:
            threads.add(threading.get_ident())
            seen[key].append(fragment.content)

        return on_fragment

    calls = [
        model.respond(text, on_prediction_fragment=show(key)).consume_in_background()
        for key, text in (("a", "one two"), ("b", "three"))
    ]
    done, _ = concurrent.futures.wait(calls, timeout=5000 * ms)
    assert len(done) == 2
    # every callback ran before anyone called .result(), in other threads
    assert "".join(seen["a"]) == expected_reply("one two")
    assert "".join(seen["b"]) == expected_reply("three")
    assert threading.get_ident() not in threads
    assert [call.result(0).content for call in calls] == [
        expected_reply("one two"),
        expected_reply("three"),
    ]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        on_pool: list[str] = []
        call = model.respond("four", on_prediction_fragment=lambda f: on_pool.append(f.content))
        consumed = call.consume_in_background(pool)
        assert consumed.result(5000 * ms).content == "".join(on_pool) == expected_reply("four")
        assert "consume_in_background()" in repr(consumed)

    def boom(fragment: Any) -> None:
        raise ValueError("callback failed")

    failing = model.respond("five six", on_prediction_fragment=boom).consume_in_background()
    with pytest.raises(ValueError, match="callback failed"):
        failing.result(5000 * ms)
    plain = client.system.version()
    assert plain.consume_in_background() is plain  # nothing to consume: left as is


def test_prompt_processing_details_reach_a_callback_that_takes_them(
    style: Style, client: Client
) -> None:
    old_style: list[float] = []
    with_details: list[tuple[float, Any]] = []
    in_act: list[tuple[float, int, Any]] = []

    async def body() -> None:
        model = await style.get(client.llm.model())
        await style.get(model.respond("count to 2", on_prompt_processing_progress=old_style.append))
        await style.get(
            model.respond(
                "count to 2", on_prompt_processing_progress=lambda p, d: with_details.append((p, d))
            )
        )
        await style.get(
            model.act(
                "count to 2",
                [_multiply],
                on_prompt_processing_progress=lambda p, r, d: in_act.append((p, r, d)),
            )
        )

    style.run(body)
    assert old_style == [0.0, 0.5, 1.0]
    assert [p for p, _ in with_details] == [0.0, 0.5, 1.0]
    first, last = with_details[0][1], with_details[-1][1]
    assert isinstance(first, PromptProcessingDetails)
    assert first.total_prompt_token_count > 0
    assert last.processed_prompt_token_count == last.total_prompt_token_count
    assert last.unprocessed_prompt_token_count == 0
    assert [(p, r) for p, r, _ in in_act] == [(0.0, 0), (0.5, 0), (1.0, 0)]
    assert all(isinstance(d, PromptProcessingDetails) for _, _, d in in_act)


def _multiply(a: int, b: int) -> int:
    """Multiply two numbers."""
    return a * b
