"""The generation pace (README: *Pace*): a fast local model by default, so that a cancel
after the first fragment stops a prediction as it would in LM Studio."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

import lmstudio as lms
from lmstudio.testing import DEFAULT_TOKENS_PER_SECOND, FakeLMStudio, expected_reply, split_tokens
from lmstudio.testing.__main__ import _parser, main

from .wire import TIMEOUT, content_of, predict_params


def _timed_prediction(llm: Any, text: str) -> tuple[float, list[dict[str, Any]]]:
    started = time.monotonic()
    packets, end = llm.stream("predict", predict_params(text))
    assert end["type"] == "channelClose", end
    return time.monotonic() - started, packets


def test_the_default_pace_is_a_fast_local_model(server: FakeLMStudio, llm: Any) -> None:
    assert server.tokens_per_second == DEFAULT_TOKENS_PER_SECOND == 1000
    seconds, packets = _timed_prediction(llm, "count to 200")
    assert seconds >= 200 / DEFAULT_TOKENS_PER_SECOND  # each token takes its time
    stats = packets[-1]["stats"]
    assert stats["predictedTokensCount"] == 200
    assert stats["tokensPerSecond"] <= DEFAULT_TOKENS_PER_SECOND * 1.05  # never faster
    assert stats["timeToFirstTokenSec"] >= 1 / DEFAULT_TOKENS_PER_SECOND


def test_the_pace_is_configurable_and_unlimited_is_fast(server: FakeLMStudio, llm: Any) -> None:
    server.set_pace(100)
    seconds, _ = _timed_prediction(llm, "count to 10")
    assert seconds >= 10 / 100
    server.set_pace(None)
    assert server.tokens_per_second is None
    seconds, packets = _timed_prediction(llm, "count to 5000")
    assert content_of(packets) == expected_reply("count to 5000")
    assert seconds < 5000 / DEFAULT_TOKENS_PER_SECOND  # faster than the default pace
    server.set_fragment_delay(0.01)  # the same setting, as seconds between fragments
    assert server.tokens_per_second == pytest.approx(100)
    server.set_fragment_delay(0)
    assert server.tokens_per_second is None
    with pytest.raises(ValueError):
        server.set_pace(0)
    with pytest.raises(ValueError):
        FakeLMStudio(tokens_per_second=-1)
    assert FakeLMStudio(fragment_delay=0).tokens_per_second is None
    assert FakeLMStudio(tokens_per_second=None).tokens_per_second is None


@pytest.mark.parametrize("attempt", range(5))
def test_a_cancel_after_the_first_fragment_stops_a_short_reply(llm: Any, attempt: int) -> None:
    text = f"Tell me a short story number {attempt}"  # about a dozen tokens
    channel = llm.open("predict", predict_params(text))
    while llm.next_on(channel)["message"]["type"] != "fragment":
        pass
    llm.channel_send(channel, {"type": "cancel"})
    envelopes = llm.until_end(channel)
    success = envelopes[-2]["message"]
    assert success["type"] == "success"
    assert success["stats"]["stopReason"] == "userStopped"
    seen = 1 + sum(1 for e in envelopes if e.get("message", {}).get("type") == "fragment")
    assert seen < len(split_tokens(expected_reply(text)))


def test_the_readme_cancel_example_stops_the_prediction(server: FakeLMStudio) -> None:
    async def run() -> list[str]:
        reasons = []
        async with lms.Client(server.api_host) as client:
            model = await client.llm.model()
            for _ in range(3):
                stream = model.respond_stream("Count to 1000")
                async for fragment in stream:
                    if len(fragment.content) > 3:
                        stream.cancel()
                reasons.append((await stream).stats.stop_reason)
        return reasons

    assert asyncio.run(asyncio.wait_for(run(), TIMEOUT)) == ["userStopped"] * 3


def test_the_command_line_pace_options() -> None:
    parser = _parser()
    assert parser.parse_args([]).tokens_per_second is None  # the default pace
    assert parser.parse_args(["--tokens-per-second", "50"]).tokens_per_second == 50
    assert parser.parse_args(["--fragments-per-second", "50"]).tokens_per_second == 50
    assert parser.parse_args(["--unlimited"]).unlimited is True
    with pytest.raises(SystemExit):
        parser.parse_args(["--unlimited", "--fragment-delay", "0.1"])
    with pytest.raises(SystemExit):
        main(["--tokens-per-second", "-1"])
