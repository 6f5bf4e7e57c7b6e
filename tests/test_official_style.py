"""Scripts in the style of LM Studio's official SDK documentation, ported with ``.result()``.

Each is what a user of the official SDK writes for chat, streaming, structured output,
embeddings, tokenization, model management and act(), with ``.result()`` added to each
call that talks to LM Studio, run against the fake server through the default client.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import lmstudio as lms
from lmstudio import _api
from lmstudio.testing import FakeLMStudio, expected_reply


@pytest.fixture
def lms_on_fake(fake_lmstudio: FakeLMStudio) -> Iterator[FakeLMStudio]:
    _api._reset_default_client()
    lms.configure_default_client(fake_lmstudio.api_host)
    yield fake_lmstudio
    _api._reset_default_client()
    assert not fake_lmstudio.warnings


def test_completion(lms_on_fake: FakeLMStudio) -> None:
    model = lms.llm().result()
    result = model.complete("Once upon a time,").result()
    assert str(result) == expected_reply("Once upon a time,")


def test_multi_turn_chat(lms_on_fake: FakeLMStudio) -> None:
    model = lms.llm().result()
    chat = lms.Chat("You are a helpful shopkeeper assisting a foreign traveller")
    answers = []
    for message in ("My hovercraft is full of eels!", "This record is scratched."):
        chat.add_user_message(message)
        response = model.respond(chat).result()
        chat.add_assistant_response(response)
        answers.append(str(response))
    assert answers == [
        expected_reply(m) for m in ("My hovercraft is full of eels!", "This record is scratched.")
    ]
    assert len(chat) == 5  # system prompt, then user and assistant twice


def test_streaming(lms_on_fake: FakeLMStudio) -> None:
    model = lms.llm().result()
    prediction = model.respond_stream("Tell me a story")
    text = "".join(fragment.content for fragment in prediction)
    assert text == prediction.result().content == expected_reply("Tell me a story")
    assert prediction.stats is not None and prediction.stats.stop_reason == "eosFound"


class BookSchema(lms.BaseModel):
    title: str
    author: str
    year: int


def test_structured_output(lms_on_fake: FakeLMStudio) -> None:
    model = lms.llm().result()
    result = model.respond("Tell me about The Hobbit", response_format=BookSchema).result()
    book = result.parsed
    assert isinstance(book, BookSchema) and isinstance(book.year, int)


def test_embeddings_and_tokens(lms_on_fake: FakeLMStudio) -> None:
    model = lms.embedding_model().result()
    vector = model.embed("Hello, world!").result()
    assert len(vector) > 0 and all(isinstance(x, float) for x in vector)
    llm = lms.llm().result()
    tokens = llm.tokenize("Hello, world!").result()
    assert llm.count_tokens("Hello, world!").result() == len(tokens)
    assert llm.get_context_length().result() > 0


def test_model_management(lms_on_fake: FakeLMStudio) -> None:
    client = lms.get_default_client()
    downloaded = lms.list_downloaded_models("llm").result()
    assert downloaded
    loaded = client.llm.load_new_instance(downloaded[0].model_key, "mine").result()
    assert "mine" in [m.identifier for m in lms.list_loaded_models().result()]
    loaded.unload().result()
    assert "mine" not in [m.identifier for m in lms.list_loaded_models().result()]


def multiply(a: float, b: float) -> float:
    """Given two numbers a and b. Returns the product of them."""
    return a * b


def test_act(lms_on_fake: FakeLMStudio) -> None:
    model = lms.llm("fake/tools").result()
    chat = lms.Chat("You are a task focused AI assistant")
    chat.add_user_message("What is the result of 12345 multiplied by 54321? Use `multiply`.")
    messages: list[object] = []
    result = model.act(chat, [multiply], on_message=messages.append).result()
    assert result.rounds == 2
    assert str(12345 * 54321) in result.content.replace(".0", "")
    assert len(messages) == 3  # the request, the tool result, the answer
