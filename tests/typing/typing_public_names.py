"""What ``reveal_type`` shows of public results: public names, never generated ones.

Checked by ``test_typing.py``: each ``reveal_type`` line ends with the type mypy must
reveal, and no revealed type may name an endpoint part (``...RpcVersionReturns``) or a
raw chat type (``ChatMessagePartFileData``). Nothing here runs.
"""

from __future__ import annotations

from typing_extensions import reveal_type

from lmstudio import Chat, Client


def public_results(client: Client, chat: Chat) -> None:
    reveal_type(client.system.version().result())  # lmstudio._protocol.models.LMStudioVersion
    reveal_type(client.files.prepare_image(b"").result())  # lmstudio._protocol.models.FileHandle
    reveal_type(chat.add_user_message("hi"))  # lmstudio._protocol.models.UserMessage
    reveal_type(chat.add_system_prompt("be brief"))  # lmstudio._protocol.models.SystemPrompt
    reveal_type(chat.add_assistant_response("ok"))  # lmstudio._protocol.models.AssistantResponse
    model = client.llm.model().result()
    reveal_type(model.tokenize("hi").result())  # list[int]
    reveal_type(model.get_info().result())  # lmstudio._protocol.models.LlmInstanceInfo
    reveal_type(model.respond("hi").result().stats)  # lmstudio._protocol.models.LlmPredictionStats
