"""What needs no host: manifests, config schemas -> KV schematics and back, hook discovery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lmstudio._protocol.models import KvConfig, KvConfigField
from lmstudio.plugin import BaseConfigSchema, LMStudioPluginInitError, config_field
from lmstudio.plugin._discovery import load_plugin
from lmstudio.plugin._manifest import read_manifest
from lmstudio.plugin._tasks import processed_message

pytestmark = pytest.mark.timeout(30)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "plugins"
INVALID = Path(__file__).parent / "invalid"


# --- manifests -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dice-tool", "prompt-prefix", "canned-reply"])
def test_the_examples_manifests_read(name: str) -> None:
    manifest = read_manifest(EXAMPLES / name)
    assert manifest.identifier == f"lmstudio/{name}"
    assert manifest.registration() == {
        "type": "plugin",
        "runner": "node",
        "owner": "lmstudio",
        "name": name,
        "revision": 1,
    }


def test_a_bad_manifest_names_every_problem() -> None:
    with pytest.raises(LMStudioPluginInitError) as caught:
        read_manifest(INVALID / "bad_manifest")
    message = str(caught.value)
    assert '"runner" must be "python"' in message
    assert '"owner" must be kebab-case' in message
    assert '"name" must be lower-case' in message


def test_missing_pieces_are_named(tmp_path: Path) -> None:
    with pytest.raises(LMStudioPluginInitError, match="No plugin folder"):
        read_manifest(tmp_path / "nowhere")
    with pytest.raises(LMStudioPluginInitError, match=r"No manifest\.json"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LMStudioPluginInitError, match="Cannot read"):
        read_manifest(tmp_path)
    manifest = {"type": "plugin", "runner": "python", "owner": "me", "name": "p"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(LMStudioPluginInitError, match=r"No src/plugin\.py"):
        read_manifest(tmp_path)


# --- config schemas --------------------------------------------------------------------------


class Schema(BaseConfigSchema):
    flag: bool = config_field(label="Flag", hint="A switch", default=True)
    count: int = config_field(label="Count", default=3, min=1, max=10)
    ratio: float = config_field(label="Ratio", default=0.5, min=0.0, max=1.0, slider=True)
    text: str = config_field(label="Text", default="hi")
    mode: str = config_field(label="Mode", default="a", options=["a", ("b", "Bee")])
    words: list[str] = config_field(label="Words", default=["x"], max_items=3)


def test_a_schema_becomes_kv_schematics() -> None:
    schematics = Schema._schematics()
    assert schematics is not None
    fields = {f.full_key: f for f in schematics.fields}
    assert list(fields) == ["flag", "count", "ratio", "text", "mode", "words"]
    assert {k: f.type_key for k, f in fields.items()} == {
        "flag": "boolean",
        "count": "numeric",
        "ratio": "numeric",
        "text": "string",
        "mode": "select",
        "words": "stringArray",
    }
    assert fields["flag"].type_params == {"displayName": "Flag", "hint": "A switch"}
    assert fields["count"].type_params == {"displayName": "Count", "int": True, "min": 1, "max": 10}
    assert fields["ratio"].type_params["slider"] == {"min": 0.0, "max": 1.0, "step": 0.01}
    assert fields["mode"].type_params["options"] == ["a", {"value": "b", "displayName": "Bee"}]
    assert fields["words"].type_params["maxNumItems"] == 3
    assert fields["words"].default_value == ["x"]
    assert all(f.short_key == f.full_key for f in fields.values())


def test_values_decode_into_the_schema_with_defaults_for_the_rest() -> None:
    sent = KvConfig(
        fields=[
            KvConfigField(key="flag", value=False),
            KvConfigField(key="count", value=7.0),
            KvConfigField(key="mode", value="b"),
            KvConfigField(key="words", value=["p", "q"]),
            KvConfigField(key="unknown", value=1),
        ]
    )
    config = Schema._parse(sent)
    assert config == Schema(flag=False, count=7, ratio=0.5, text="hi", mode="b", words=["p", "q"])
    assert isinstance(config.count, int)


def test_malformed_values_fall_back_to_defaults() -> None:
    sent = KvConfig(
        fields=[
            KvConfigField(key="flag", value="yes"),
            KvConfigField(key="count", value=2.5),
            KvConfigField(key="mode", value="z"),
            KvConfigField(key="words", value=[1]),
        ]
    )
    assert Schema._parse(sent) == Schema()


def test_defaults_are_not_shared_between_instances() -> None:
    first, second = Schema(), Schema()
    first.words.append("y")
    assert second.words == ["x"]


def test_an_empty_schema_sends_nothing() -> None:
    class Empty(BaseConfigSchema):
        pass

    assert Empty._schematics() is None
    assert BaseConfigSchema._schematics() is None
    assert Empty._parse(None) == Empty()


def test_schema_mistakes_are_clear() -> None:
    with pytest.raises(LMStudioPluginInitError, match="unsupported default"):
        config_field(label="x", default=None)
    with pytest.raises(LMStudioPluginInitError, match="not one of the options"):
        config_field(label="x", default="c", options=["a", "b"])
    with pytest.raises(LMStudioPluginInitError, match="slider needs min and max"):
        config_field(label="x", default=1.0, slider=True)
    with pytest.raises(LMStudioPluginInitError, match="every field"):

        class Plain(BaseConfigSchema):
            value: int = 3

    with pytest.raises(LMStudioPluginInitError, match="type annotation"):

        class Unannotated(BaseConfigSchema):
            value = config_field(label="x", default=1)


def test_a_subclass_inherits_fields_first() -> None:
    class More(Schema):
        extra: bool = config_field(label="Extra", default=False)

    schematics = More._schematics()
    assert schematics is not None
    assert [f.full_key for f in schematics.fields][-2:] == ["words", "extra"]


# --- discovery ------------------------------------------------------------------------------


def test_the_examples_define_their_hooks() -> None:
    dice = load_plugin(read_manifest(EXAMPLES / "dice-tool"))
    assert list(dice.hooks) == ["list_provided_tools"]
    assert dice.config_schema.__name__ == "ConfigSchema"
    assert dice.global_config_schema is BaseConfigSchema
    prefix = load_plugin(read_manifest(EXAMPLES / "prompt-prefix"))
    assert list(prefix.hooks) == ["preprocess_prompt"]
    assert prefix.global_config_schema.__name__ == "GlobalConfigSchema"
    canned = load_plugin(read_manifest(EXAMPLES / "canned-reply"))
    assert list(canned.hooks) == ["generate"]


def test_no_hooks_is_an_init_error() -> None:
    with pytest.raises(LMStudioPluginInitError, match="No plugin hooks defined") as caught:
        load_plugin(read_manifest(INVALID / "no_hooks"))
    assert "list_provided_tools" in str(caught.value)


def _plugin(tmp_path: Path, source: str) -> Path:
    manifest = {"type": "plugin", "runner": "python", "owner": "me", "name": "p"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "plugin.py").write_text(source, encoding="utf-8")
    return tmp_path


def test_hook_shape_and_source_errors_are_clear(tmp_path: Path) -> None:
    folder = _plugin(tmp_path, "def preprocess_prompt(ctl):\n    return None\n")
    with pytest.raises(LMStudioPluginInitError, match=r"must take 2 arguments \(ctl, input\)"):
        load_plugin(read_manifest(folder))
    (folder / "src" / "plugin.py").write_text("raise ValueError('boom')\n", encoding="utf-8")
    with pytest.raises(LMStudioPluginInitError, match="failed to run: ValueError: boom"):
        load_plugin(read_manifest(folder))
    (folder / "src" / "plugin.py").write_text(
        "ConfigSchema = dict\ndef generate(ctl, chat): pass\n", encoding="utf-8"
    )
    with pytest.raises(LMStudioPluginInitError, match="ConfigSchema must be a subclass"):
        load_plugin(read_manifest(folder))


def test_the_official_generator_name_is_accepted(tmp_path: Path) -> None:
    folder = _plugin(tmp_path, "async def generate_tokens(ctl, chat):\n    pass\n")
    assert list(load_plugin(read_manifest(folder)).hooks) == ["generate"]


def test_a_plugin_imports_modules_beside_it(tmp_path: Path) -> None:
    folder = _plugin(
        tmp_path, "from helper_mod_xyz import VALUE\ndef prediction_loop_handler(ctl): pass\n"
    )
    (folder / "src" / "helper_mod_xyz.py").write_text("VALUE = 1\n", encoding="utf-8")
    assert list(load_plugin(read_manifest(folder)).hooks) == ["prediction_loop_handler"]


# --- preprocessor answers ---------------------------------------------------------------------


def test_what_a_preprocessor_may_return() -> None:
    from lmstudio import TextData, UserMessage
    from lmstudio.errors import LMStudioValueError

    original = UserMessage(content=[TextData(text="hi")])
    assert processed_message(None, original) is original
    assert processed_message("new", original) == UserMessage(content=[TextData(text="new")])
    as_dict = {"role": "user", "content": [{"type": "text", "text": "d"}]}
    assert processed_message(as_dict, original) == UserMessage(content=[TextData(text="d")])
    for bad in (
        42,
        {"role": "assistant", "content": "x"},
        {"role": "user", "content": [{"type": "image"}]},
    ):
        with pytest.raises(LMStudioValueError, match="malformed prompt"):
            processed_message(bad, original)


def test_abort_state_and_callbacks() -> None:
    from typing import Any

    from lmstudio.errors import LMStudioCancelledError
    from lmstudio.plugin import HookController, LMStudioPluginRuntimeError

    client: Any = object()
    ctl: HookController[Any, Any] = HookController(client, Schema(), BaseConfigSchema(), None)
    seen: list[str] = []
    ctl.on_aborted(lambda: seen.append("first"))
    ctl.on_aborted(lambda: 1 / 0)  # a raising callback is logged, the others still run
    ctl.on_aborted(lambda: seen.append("second"))
    ctl.guard_abort()
    assert not ctl.aborted and not ctl.wait_aborted(0)
    with pytest.raises(LMStudioPluginRuntimeError, match="not attached to a working directory"):
        ctl.get_working_directory()
    ctl._abort()
    ctl._abort()  # once
    assert ctl.aborted and seen == ["first", "second"]
    ctl.on_aborted(lambda: seen.append("late"))  # runs at once
    assert seen[-1] == "late"
    with pytest.raises(LMStudioCancelledError):
        ctl.guard_abort()


def test_a_tool_call_context_exists_only_in_a_tool() -> None:
    from lmstudio.plugin import LMStudioPluginRuntimeError, get_tool_call_context

    with pytest.raises(LMStudioPluginRuntimeError, match="only inside a tool"):
        get_tool_call_context()


def test_a_plugin_identity_ignores_the_token_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from lmstudio._client import client_with_identity
    from lmstudio.errors import LMStudioValueError

    monkeypatch.setenv("LMSTUDIO_API_TOKEN", "not-a-token")
    client = client_with_identity("localhost:1", "plugin:x", "secret-passkey")
    identity = client._session.identity
    assert identity.client_identifier == "plugin:x"
    assert "secret-passkey" not in repr(identity)
    client.close()
    with pytest.raises(LMStudioValueError, match="identifier and a passkey"):
        client_with_identity(None, "plugin:x", "")
