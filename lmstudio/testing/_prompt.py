"""The fake models' prompt template (ChatML), used by ``applyPromptTemplate`` and for
a prediction's prompt token count.

Public, stable rule: with tool definitions, a first block
``<|im_start|>system\\n# Tools\\n<JSON list of the tools><|im_end|>\\n``; then one block
``<|im_start|>{role}\\n{content}<|im_end|>\\n`` per message, whose content joins its parts:
text as is, an image file ``<image>``, another file ``<file:{name}>``, a tool call request
``<tool_call>{"name": ..., "arguments": ...}</tool_call>``, a tool result its content;
finally ``<|im_start|>assistant\\n``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["render_prompt"]


def _part(part: Mapping[str, Any]) -> str:
    match part.get("type"):
        case "text":
            return str(part.get("text", ""))
        case "file":
            return (
                "<image>" if part.get("fileType") == "image" else f"<file:{part.get('name', '')}>"
            )
        case "toolCallRequest":
            request = part.get("toolCallRequest", {})
            call = {"name": request.get("name"), "arguments": request.get("arguments", {})}
            return f"<tool_call>{json.dumps(call, ensure_ascii=False)}</tool_call>"
        case "toolCallResult":
            return str(part.get("content", ""))
    return ""


def render_prompt(messages: Sequence[Mapping[str, Any]], tools: Sequence[Any] = ()) -> str:
    """The formatted prompt of a chat history (wire dicts)."""
    blocks = []
    if tools:
        blocks.append(
            f"<|im_start|>system\n# Tools\n{json.dumps(list(tools), ensure_ascii=False)}<|im_end|>\n"
        )
    for message in messages:
        content = "".join(_part(part) for part in message.get("content", []))
        blocks.append(f"<|im_start|>{message.get('role')}\n{content}<|im_end|>\n")
    blocks.append("<|im_start|>assistant\n")
    return "".join(blocks)
