"""Coming from LM Studio's official SDK: a forgotten ``.result()`` says so (over the wire)."""

from __future__ import annotations

import re

import pytest

import lmstudio as lms
from lmstudio.testing import FakeLMStudio


def test_a_forgotten_result_says_what_to_do(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    with lms.Client(fake_lmstudio.api_host) as client:
        call = client.llm.model("fake/chat")
        with pytest.raises(AttributeError) as info:
            call.respond("Hello")  # type: ignore[attr-defined]  # the official SDK's style
        message = str(info.value)
        assert "llm.model('fake/chat') is a Call[LLM]" in message
        assert "use .result() (or await it) to get the LLM, then .respond" in message
        model = call.result(5000 * ms)
        prediction = model.respond("Hello")
        with pytest.raises(
            AttributeError, match=r"\.respond\(\.\.\.\) is a Call\[PredictionResult\]"
        ):
            prediction.content  # type: ignore[attr-defined]  # noqa: B018
        assert prediction.result(5000 * ms).content
        with pytest.raises(AttributeError, match=r"is a PredictionStream\[PredictionResult\]"):
            model.respond_stream("Hi").stats_  # type: ignore[attr-defined]  # noqa: B018
        # a name the value does not have either: no advice to call .result()
        with pytest.raises(AttributeError) as info:
            client.system.version().nope  # type: ignore[attr-defined]  # noqa: B018
        assert ".result()" not in str(info.value)
        assert "system.version() is a Call[LMStudioVersion]" in str(info.value)


def test_reprs_show_the_operation_and_the_outcome(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    with lms.Client(fake_lmstudio.api_host) as client:
        call = client.llm.model("fake/chat")
        call.result(5000 * ms)
        assert repr(call) == "<Stream llm.model('fake/chat') state=finished returned LLM>"
        missing = client.llm.model("no/such-model")
        with pytest.raises(lms.LMStudioModelNotFoundError):
            missing.result(5000 * ms)
        assert re.fullmatch(
            r"<\w+ llm\.model\('no/such-model'\) state=finished raised LMStudioModelNotFoundError>",
            repr(missing),
        )
        prediction = call.result().respond("Hi")
        prediction.result(5000 * ms)
        assert repr(prediction) == (
            "<PredictionStream LLM('fake/chat').respond(...) state=finished returned "
            "PredictionResult>"
        )
