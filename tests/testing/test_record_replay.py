"""Record and replay (README: *Record and replay*): a recording proxy in front of a fake
LM Studio writes a cassette; a fake server replaying it answers the same requests the
same way, whatever ids the new client uses, and refuses the others clearly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lmstudio as lms
from lmstudio.testing import FakeLMStudio, RecordingProxy, expected_reply, tokenize

from .wire import TIMEOUT, WireClient, predict_params

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "sk-lm-Abcd1234:Passkey0123456789abc"
PASSKEY = TOKEN.partition(":")[2]


def _session(api_host: str) -> dict[str, Any]:
    """What an application does with LM Studio: the answers its tests would check."""
    with lms.Client(api_host, api_token=TOKEN, timeout=TIMEOUT) as client:
        model = client.llm.model("fake/chat").result()
        embedding = client.embedding.model("fake/embed").result()
        stream = model.respond_stream("count to 100000")
        for fragment in stream:
            if fragment.content.strip() == "3":
                stream.cancel()
        cancelled = stream.result()
        try:
            client.llm.model("no/such-model").result()
            missing = None
        except lms.LMStudioServerError as exc:
            missing = type(exc).__name__
        return {
            "loaded": sorted(m.identifier for m in client.llm.list_loaded().result()),
            "reply": model.respond("Hello!").result().content,
            "tokens": model.tokenize("hello world").result(),
            "vector": embedding.embed("hello world").result(),
            "cancelled": (cancelled.content, cancelled.stats.stop_reason),
            "missing": missing,
        }


@pytest.fixture
def cassette(tmp_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    path = tmp_path / "session.jsonl"
    with FakeLMStudio(api_tokens=[TOKEN]) as upstream:
        with RecordingProxy(path, upstream=upstream.api_host) as proxy:
            answers = _session(proxy.api_host)
        assert not upstream.warnings
    yield path, answers


def test_a_recorded_session_replays_the_same_answers(
    cassette: tuple[Path, dict[str, Any]],
) -> None:
    path, recorded = cassette
    assert recorded["reply"] == expected_reply("Hello!")
    assert recorded["tokens"] == tokenize("hello world")
    assert recorded["cancelled"][1] == "userStopped"
    assert recorded["missing"] == "LMStudioModelNotFoundError"
    with FakeLMStudio(replay=path) as replay:
        replayed = _session(replay.api_host)
        assert replay.warnings == [] and replay.replay_misses == []
    # Where a cancel lands depends on timing, in a replay as live: both stopped after "3".
    content, reason = replayed.pop("cancelled")
    assert reason == "userStopped" and content.startswith("1 2 3")
    assert content in expected_reply("count to 100000")
    recorded.pop("cancelled")
    assert replayed == recorded


def test_the_cassette_is_json_lines_without_secrets(cassette: tuple[Path, dict[str, Any]]) -> None:
    path, _ = cassette
    text = path.read_text(encoding="utf-8")
    assert PASSKEY not in text and "clientPasskey" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["cassette"] == "lmstudio.testing" and lines[0]["version"] == 1
    kinds = {(e["namespace"], e["kind"], e["endpoint"]) for e in lines[1:]}
    assert ("llm", "channel", "predict") in kinds and ("embedding", "rpc", "embedString") in kinds
    predict = next(e for e in lines[1:] if e["endpoint"] == "predict" and e["events"][-1:])
    assert predict["end"] == "close"
    assert {"toServer": {"type": "cancel"}} in predict["events"]


def test_ids_are_the_new_clients_and_unrecorded_requests_fail_clearly(
    cassette: tuple[Path, dict[str, Any]], violations: list[str]
) -> None:
    path, recorded = cassette
    with FakeLMStudio(replay=path) as replay:
        llm = WireClient(replay.api_host, "llm", violations)
        try:
            llm.call_ids = 41  # not the ids of the recording client
            answer = llm.rpc(
                "tokenize",
                {
                    "specifier": {"type": "query", "query": {"identifier": "fake/chat"}},
                    "inputString": "hello world",
                },
            )
            assert answer == {
                "type": "rpcResult",
                "callId": 42,
                "result": {"tokens": recorded["tokens"]},
            }
            packets, end = llm.stream("predict", predict_params("Never recorded"))
            assert packets == []
            assert end["type"] == "channelError"
            assert "holds no recorded answer for llm/predict" in end["error"]["title"]
            assert path.name in end["error"]["title"]
            assert "--record" in end["error"]["suggestion"]
            assert replay.replay_misses == ["llm/predict"]
        finally:
            llm.close()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "not an lmstudio.testing cassette"),
        ('{"cassette": "lmstudio.testing", "version": 9}\n', "version 9"),
        ('{"cassette": "lmstudio.testing", "version": 1}\n{"kind": "rpc"}\n', "without"),
        ('{"cassette": "lmstudio.testing", "version": 1}\nnot json\n', "not JSON"),
    ],
)
def test_a_bad_cassette_is_refused(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content or "{}\n")
    with pytest.raises(ValueError, match=problem):
        FakeLMStudio(replay=path)


def test_the_command_line_records_and_replays(tmp_path: Path, violations: list[str]) -> None:
    path = tmp_path / "cli.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(*arguments: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "lmstudio.testing", "--port", "0", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )

    def stop(process: subprocess.Popen[str]) -> None:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=TIMEOUT) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=TIMEOUT)

    def host_of(process: subprocess.Popen[str]) -> str:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on 127.0.0.1:" in line, line
        return line.split()[-1]

    with FakeLMStudio() as upstream:
        recorder = run("--record", str(path), "--upstream", upstream.api_host)
        try:
            system = WireClient(host_of(recorder), "system", violations)
            version = system.result("version")
            system.close()
        finally:
            stop(recorder)
    replayer = run("--replay", str(path))
    try:
        system = WireClient(host_of(replayer), "system", violations)
        assert system.result("version") == version
        system.close()
    finally:
        stop(replayer)
