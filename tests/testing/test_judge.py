"""The schema judge of these tests must catch what official clients reject (else the
"no violations" checks of every other test would prove nothing)."""

from __future__ import annotations

import copy
from typing import Any

from lmstudio.testing import FakeLMStudio

from .wire import judges


def test_the_judge_catches_missing_fields_bad_enums_and_generation_differences(
    server: FakeLMStudio, llm: Any
) -> None:
    current, old = judges()
    info = llm.result("listLoaded")[0]
    assert current.check("llm/rpc/listLoaded/returns", [info]) == []
    assert old.check("llm/rpc/listLoaded/returns", [info]) == []

    no_publisher = copy.deepcopy(info)
    del no_publisher["publisher"]
    assert current.check("llm/rpc/listLoaded/returns", [no_publisher])
    assert old.check("llm/rpc/listLoaded/returns", [no_publisher]) == []

    pte = {**info, "format": "pte"}
    assert current.check("llm/rpc/listLoaded/returns", [pte]) == []
    assert old.check("llm/rpc/listLoaded/returns", [pte])

    fragment = {
        "type": "fragment",
        "fragment": {
            "content": "x",
            "tokensCount": 1,
            "containsDrafted": False,
            "reasoningType": "none",
            "isStructural": False,
        },
    }
    assert current.check("llm/channel/predict/toClientPacket", fragment) == []
    thinking = copy.deepcopy(fragment)
    thinking["fragment"]["reasoningType"] = "thinking"
    assert current.check("llm/channel/predict/toClientPacket", thinking)
    assert old.check("llm/channel/predict/toClientPacket", thinking)
    float_count = copy.deepcopy(fragment)
    float_count["fragment"]["tokensCount"] = 1.0
    assert current.check("llm/channel/predict/toClientPacket", float_count)

    progress = {"type": "promptProcessingProgress", "progress": 0.5}
    assert current.check("llm/channel/predict/toClientPacket", progress)  # 2026 needs details
    assert old.check("llm/channel/predict/toClientPacket", progress) == []

    bad_display = {"code": "generic.noModelMatchingQuery", "query": {}}
    assert current.check("errorDisplayData", bad_display)
