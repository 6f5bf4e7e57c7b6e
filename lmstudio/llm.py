"""``client.llm``: large language models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._engine.call import Call
from ._engine.constants import USE_CLIENT_DEFAULT, UseClientDefault
from ._engine.session import Session

if TYPE_CHECKING:
    from ._protocol.models import LlmInstanceInfo

__all__ = ["LlmNamespace"]


class LlmNamespace:
    """Large language models: ``client.llm``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def list_loaded(
        self, *, timeout: float | UseClientDefault | None = USE_CLIENT_DEFAULT
    ) -> Call[list[LlmInstanceInfo]]:
        """The LLMs currently loaded in LM Studio.

        Returns ``Call[list[LlmInstanceInfo]]``. Raises
        :class:`~lmstudio.LMStudioClientError` if LM Studio is unreachable.

        ``for info in client.llm.list_loaded().result(): print(info.identifier)``
        """
        return self._session.rpc("llm", "listLoaded", timeout=timeout)
