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


def test_is_valid_api_host(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    assert lms.Client.is_valid_api_host(fake_lmstudio.api_host).result(5000 * ms) is True
    assert lms.Client.is_valid_api_host("127.0.0.1:1").result(5000 * ms) is False
    with pytest.raises(lms.LMStudioValueError):
        lms.Client.is_valid_api_host("not a host:x")


def test_find_default_local_api_host(ms: float) -> None:
    import socket

    port = 52993  # one of LM Studio's default ports (the first ones are probed first)
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 41343)) == 0:
            pytest.skip("something listens on LM Studio's first default port")
    try:
        server = FakeLMStudio(port=port)
        server.start()
    except OSError:
        pytest.skip(f"port {port} is taken")
    try:
        assert lms.Client.find_default_local_api_host().result(10_000 * ms) == f"127.0.0.1:{port}"
    finally:
        server.stop()


def test_a_probe_leaves_no_thread_behind() -> None:
    import subprocess
    import sys

    code = (
        "import threading, time, lmstudio as lms\n"
        "assert lms.Client.is_valid_api_host('127.0.0.1:1').result(10) is False\n"
        "deadline = time.monotonic() + 5\n"
        "while threading.active_count() > 1:\n"
        "    assert time.monotonic() < deadline, threading.enumerate()\n"
        "    time.sleep(0.01)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
