"""Every example runs on its own against the fake server, and ``examples/demo.py --fake``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lmstudio.testing import FakeLMStudio, expected_reply

pytest_plugins = ["tests.styles"]  # server

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run(script: str, *args: str, stdin: str = "", timeout: float = 60.0) -> str:
    """Run an example to completion without a terminal; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # standard error holds at most progress bars (show_progress=True)
    others = [line for line in done.stderr.splitlines() if line.strip() and "Loading" not in line]
    assert others == [], done.stderr
    return done.stdout


def test_chatbot_scripted(server: FakeLMStudio) -> None:
    out = run("chatbot.py", "--host", server.api_host)
    assert f"Bot: {expected_reply('Hello! Who are you?')}\n" in out
    assert out.count("You: ") == out.count("Bot: ") == 2


def test_chatbot_reads_piped_messages(server: FakeLMStudio) -> None:
    out = run("chatbot.py", "--host", server.api_host, stdin="count to 3\n\nBye\n")
    assert out.splitlines() == [
        "You: count to 3",
        "Bot: 1 2 3",
        "You: Bye",
        f"Bot: {expected_reply('Bye')}",
    ]
    # the chat grew with each answer (on_message=chat.append)
    last = server.calls("predict")[-1]["creationParameter"]["history"]["messages"]
    assert [m["role"] for m in last] == ["system", "user", "assistant", "user"]


def test_chatbot_without_a_loaded_model(server: FakeLMStudio) -> None:
    server.unload_model("fake/chat")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "chatbot.py"), "--host", server.api_host],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 2
    assert "No LLM is loaded" in done.stderr


def test_structured_output(server: FakeLMStudio) -> None:
    out = run("structured_output.py", "--host", server.api_host)
    assert "Book: 'title' by author, published in 1" in out


def test_embeddings(server: FakeLMStudio) -> None:
    out = run("embeddings.py", "--host", server.api_host)
    assert "Embedding model: fake/embed (384 dimensions)" in out
    ranked = [line.split("  ", 2)[-1] for line in out.splitlines()[2:]]
    assert ranked[-1] == "The stock market closed higher today."


def test_embeddings_loads_one_if_none_is_loaded(server: FakeLMStudio) -> None:
    server.unload_model("fake/embed")
    assert "Embedding model: fake/embed" in run("embeddings.py", "--host", server.api_host)
    # ...with a progress bar of the loading (tqdm's here: tqdm is a test dependency)


def test_speculative_decoding(server: FakeLMStudio) -> None:
    out = run("speculative_decoding.py", "--host", server.api_host, "--draft", "fake/chat")
    assert "Main model: fake/chat, draft model: fake/chat" in out
    assert "Accepted 5 of 11 tokens from the draft model" in out


def test_speculative_decoding_without_a_sibling(server: FakeLMStudio) -> None:
    out = run("speculative_decoding.py", "--host", server.api_host)
    assert out.startswith("Skipped: no smaller downloaded model")


def test_image_description(server: FakeLMStudio, tmp_path: Path) -> None:
    out = run("image_description.py", "--host", server.api_host)
    assert "fake/vision looks at red.png:" in out
    assert "(I see 1 image: red.png)" in out
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(16))
    out = run("image_description.py", str(photo), "--host", server.api_host)
    assert "(I see 1 image: photo.png)" in out


@pytest.mark.timeout(180)
def test_manage_lmstudio(server: FakeLMStudio) -> None:
    out = run("manage_lmstudio.py", "--host", server.api_host)
    assert "Hardware:\n  llama.cpp-" in out and "GPUs: NVIDIA" in out
    assert "GGUF: llama.cpp-" in out
    assert "Loading fake/chat with a 4096-token context needs about" in out
    assert "Loaded fake/chat:2: 4096 tokens of context.\nUnloaded fake/chat:2." in out
    assert "peer 'studio-desktop' (fake-device-1): connected" in out
    assert "fake/chat:2" not in server.loaded_models()  # unloaded again (no --keep)


def test_demo() -> None:
    out = run("demo.py", "--fake", timeout=170)
    for header in ("chatbot.py", "structured_output.py", "embeddings.py"):
        assert f"=== {header}" in out
    assert "Bot: You said: Hello! Who are you?" in out
    assert "12 of 12 examples ran." in out


def quick_start_blocks() -> list[str]:
    """The Python code blocks of the README's "Quick start" section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```python\n")[1:]]


def test_readme_quick_start_runs() -> None:
    from lmstudio.testing import default_catalog

    blocks = quick_start_blocks()
    assert len(blocks) >= 5
    catalog = [
        *default_catalog(),
        {"type": "llm", "modelKey": "qwen2.5-7b-instruct"},
        {"type": "embedding", "modelKey": "nomic-embed-text-v1.5"},
    ]
    with FakeLMStudio(catalog=catalog) as server:
        for block in blocks:
            code = f"import lmstudio as lms\nlms.configure_default_client({server.api_host!r})\n"
            code += block.replace("lms.Client()", f"lms.Client({server.api_host!r})")
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
            )
            assert done.returncode == 0, block + done.stderr
            assert done.stderr == "", block
        assert server.warnings == [] and server.client_warnings == []


def test_tool_use(server: FakeLMStudio) -> None:
    out = run("tool_use.py", "--host", server.api_host, "--model", "fake/tools")
    assert "The model called multiply({'a': 1234, 'b': 5678})" in out
    assert "Answer after 2 rounds: The result is 7006652.0." in out


def test_tool_use_multiple(server: FakeLMStudio) -> None:
    out = run("tool_use_multiple.py", "--host", server.api_host, "--model", "fake/tools")
    assert "assistant calls add({'a': 17, 'b': 25})" in out
    assert "assistant calls convert({'value': 42" in out
    assert "4 rounds, 8 messages in the chat" in out


def test_agent_async(server: FakeLMStudio) -> None:
    out = run("agent_async.py", "--host", server.api_host, "--model", "fake/tools")
    assert "-> get_weather({'city': 'Paris'})\n<- success: sunny, 24 °C" in out
    assert "The result is sunny, 24 °C." in out


def test_agent_guard_denies_without_a_terminal_and_allows_with_yes(server: FakeLMStudio) -> None:
    out = run("agent_guard.py", "--host", server.api_host, "--model", "fake/tools")
    assert "(no terminal: no)" in out and "Files written: none" in out
    out = run("agent_guard.py", "--host", server.api_host, "--model", "fake/tools", stdin="y\n")
    assert "Files written: ['haiku.txt']" in out
    out = run("agent_guard.py", "--host", server.api_host, "--model", "fake/tools", "--yes")
    assert "The result is wrote 11 characters to haiku.txt." in out


def test_plugin_tools_runs_the_dice_plugin_for_an_agent(server: FakeLMStudio) -> None:
    out = run("plugin_tools.py", "--host", server.api_host, "--model", "fake/tools", timeout=90)
    assert "Registered development plugin lmstudio/dice-tool" in out
    assert "The plugin offers: roll_dice" in out
    assert "The model called roll_dice({'count': 2, 'sides': 6})" in out
    assert 'Answer after 2 rounds: The result is {"rolls":[' in out
    assert "The plugin stopped (exit status 0)." in out
    assert server.plugins.registered() == []  # Ctrl-C ended the registration


def test_readme_act_block_runs() -> None:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Tools and `act()`", 1)[1].split("\n## ", 1)[0]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    with FakeLMStudio() as server:
        server.unload_model("fake/chat")
        server.load_model("fake/tools")
        code = f"import lmstudio as lms\nlms.configure_default_client({server.api_host!r})\n"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", code + block],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == "The result is 7006652.0.\n"
        assert server.warnings == [] and server.client_warnings == []


@pytest.mark.parametrize(
    "script", sorted(p.name for p in (ROOT / "examples").glob("*.py") if p.name != "demo.py")
)
def test_an_example_without_lm_studio_prints_one_line(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), "--host", "127.0.0.1:1"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: LM Studio is not reachable"), lines


def test_cancel() -> None:
    with FakeLMStudio(tokens_per_second=50) as slow:  # the cancel lands mid-answer
        out = run("cancel.py", "--host", slow.api_host, "--after", "3")
    assert out.startswith("fake/chat: You said:\n")
    assert "[cancelled after 3 fragments, 3 tokens generated: userStopped]" in out
