"""``client.repository``: search LM Studio's model hub and download models.

::

    found = client.repository.search_models("qwen2.5 7b").result()
    options = found[0].get_download_options().result()
    option = next(o for o in options if o.recommended)
    for progress in option.download():              # or .result() / await, with on_progress=
        print(f"{progress.downloaded_bytes}/{progress.total_bytes}")
    model = client.llm.model(option.download().result()).result()
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from msgspec import UNSET

from .._engine.call import Call
from .._engine.handler import ChannelHandler
from .._engine.stream import SKIP, Skip, Stream
from .._exports import publish
from .._protocol.endpoints import repository as repository_api
from .._protocol.models import (
    DownloadProgressUpdate,
    ModelSearchOpts,
    ModelSearchResultDownloadOptionData,
    ModelSearchResultEntryData,
    RepositoryChannelDownloadModelCreationParameter,
    RepositoryRpcGetModelDownloadOptionsParameter,
    RepositoryRpcGetModelDownloadOptionsReturns,
    RepositoryRpcSearchModelsParameter,
    RepositoryRpcSearchModelsReturns,
)
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioChannelClosedError, LMStudioValueError
from .download_plan import DownloadPlanning
from .loading import packet_tag
from .progress import progress_bar
from .repository_account import RepositoryAccount
from .repository_artifacts import RepositoryArtifacts
from .repository_hub import RepositoryHub

if TYPE_CHECKING:
    from .._engine.session import Session

__all__ = [
    "AvailableModel",
    "DownloadFinalizedCallback",
    "DownloadProgressCallback",
    "DownloadProgressUpdate",
    "ModelDownloadOption",
    "RepositoryNamespace",
]

DownloadProgressCallback: TypeAlias = Callable[[DownloadProgressUpdate], object]
"""``on_progress(update)``: bytes downloaded so far, total bytes, current speed."""
DownloadFinalizedCallback: TypeAlias = Callable[[], object]
"""``on_finalize()``: the download is complete and LM Studio is finalizing it."""


class RepositoryNamespace(RepositoryHub, RepositoryAccount, RepositoryArtifacts, DownloadPlanning):
    """LM Studio's model hub: ``client.repository``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def search_models(
        self,
        search_term: str | None = None,
        limit: int | None = None,
        compatibility_types: Sequence[str] | None = None,
        *,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[list[AvailableModel]]:
        """Models available for download from LM Studio's hub, matching ``search_term``.

        ``found = client.repository.search_models("qwen").result()``

        Args:
            search_term: what to look for (names, publishers...). ``None`` (default):
                LM Studio's picks.
            limit: at most this many results. ``None`` (default): LM Studio's default.
            compatibility_types: only these formats (``"gguf"``, ``"safetensors"``...).
                ``None`` (default): any.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[AvailableModel]]``.

        Raises:
            LMStudioValueError: an invalid argument (raised here).
        """
        opts = ModelSearchOpts()
        if search_term is not None:
            if not isinstance(search_term, str):
                raise LMStudioValueError(f"search_term must be a string, not {search_term!r}")
            opts.search_term = search_term
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise LMStudioValueError(f"limit must be a positive integer, not {limit!r}")
            opts.limit = limit
        if compatibility_types is not None:
            opts.compatibility_types = list(compatibility_types)
        session = self._session

        def wrap(returns: RepositoryRpcSearchModelsReturns) -> list[AvailableModel]:
            return [AvailableModel(entry, session) for entry in returns.results]

        parameter = RepositoryRpcSearchModelsParameter(opts=opts)
        return session.rpc(repository_api.SEARCH_MODELS, parameter, transform=wrap, timeout=timeout)


class AvailableModel:
    """A model found by ``search_models`` (``search_result`` is LM Studio's entry)."""

    __slots__ = ("_session", "search_result")

    def __init__(self, search_result: ModelSearchResultEntryData, session: Session) -> None:
        self.search_result = search_result
        self._session = session

    @property
    def name(self) -> str:
        """The model's name on the hub."""
        return self.search_result.name

    @property
    def exact(self) -> bool:
        """Whether it matches the search term exactly."""
        return self.search_result.exact is True

    @property
    def staff_pick(self) -> bool:
        """Whether LM Studio's staff recommend it."""
        return self.search_result.staff_pick is True

    def __repr__(self) -> str:
        return f"AvailableModel(name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AvailableModel):
            return NotImplemented
        return self.search_result == other.search_result and self._session is other._session

    __hash__ = None  # type: ignore[assignment]

    def get_download_options(
        self, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[list[ModelDownloadOption]]:
        """The files this model can be downloaded as (quantizations), recommended first.

        ``options = found[0].get_download_options().result()``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[ModelDownloadOption]]``.
        """
        session = self._session

        def wrap(returns: RepositoryRpcGetModelDownloadOptionsReturns) -> list[ModelDownloadOption]:
            return [ModelDownloadOption(option, session) for option in returns.results]

        parameter = RepositoryRpcGetModelDownloadOptionsParameter(
            model_search_result_identifier=self.search_result.identifier
        )
        return session.rpc(
            repository_api.GET_MODEL_DOWNLOAD_OPTIONS, parameter, transform=wrap, timeout=timeout
        )


class ModelDownloadOption:
    """One way to download a model (``info`` is LM Studio's entry: name, size, fit...)."""

    __slots__ = ("_session", "info")

    def __init__(self, info: ModelSearchResultDownloadOptionData, session: Session) -> None:
        self.info = info
        self._session = session

    @property
    def name(self) -> str:
        """The file's name."""
        return self.info.name

    @property
    def quantization(self) -> str | None:
        """Its quantization (``"Q4_K_M"``...), if LM Studio reports one."""
        value = self.info.quantization
        return None if value is UNSET else value

    @property
    def size_bytes(self) -> int:
        """The download's size."""
        return self.info.size_bytes

    @property
    def recommended(self) -> bool:
        """Whether LM Studio recommends this option for this machine."""
        return self.info.recommended is True

    def __repr__(self) -> str:
        return (
            f"ModelDownloadOption(name={self.name!r}, quantization={self.quantization!r}, "
            f"recommended={self.recommended})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModelDownloadOption):
            return NotImplemented
        return self.info == other.info and self._session is other._session

    __hash__ = None  # type: ignore[assignment]

    def download(
        self,
        on_progress: DownloadProgressCallback | None = None,
        on_finalize: DownloadFinalizedCallback | None = None,
        *,
        show_progress: bool = False,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Stream[DownloadProgressUpdate, str]:
        """Download this option; the final value is the model key to load it with.

        ``key = option.download(on_progress=print).result()``

        Args:
            on_progress: called with each ``DownloadProgressUpdate``.
            on_finalize: called once the bytes are in and LM Studio finalizes the model.
            show_progress: draw a progress bar of the download on the terminal when
                ``on_progress`` is not given (``lms.progress_bar()``). Default ``False``.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's): a download fails when no progress arrives for that long.

        Callbacks run where the stream is consumed (the thread that iterates it or blocks
        in ``.result()``, or the awaiting loop), never on the SDK's own loop.

        Returns:
            ``Stream[DownloadProgressUpdate, str]``: iterate it for the progress updates,
            ``.result()`` / ``await`` it for the model key, ``.cancel()`` it to stop the
            download.

        Raises:
            LMStudioValueError: a callback that is not callable (raised here).
        """
        if show_progress and on_progress is None:
            on_progress = progress_bar(f"Downloading {self.name}")
        for name, callback in (("on_progress", on_progress), ("on_finalize", on_finalize)):
            if callback is not None and not callable(callback):
                raise LMStudioValueError(f"{name} must be callable")

        def consume(event: DownloadProgressUpdate | _Finalizing) -> DownloadProgressUpdate | Skip:
            if event is _FINALIZING:
                if on_finalize is not None:
                    on_finalize()
                return SKIP
            assert isinstance(event, DownloadProgressUpdate)
            if on_progress is not None:
                on_progress(event)
            return event

        creation = RepositoryChannelDownloadModelCreationParameter(
            download_identifier=self.info.download_identifier
        )
        return self._session.channel(
            repository_api.DOWNLOAD_MODEL,
            creation,
            handler=_DownloadHandler(),
            consume=consume,
            timeout=timeout,
        )


class _Finalizing(enum.Enum):
    FINALIZING = enum.auto()


_FINALIZING: Final = _Finalizing.FINALIZING


class _DownloadHandler(ChannelHandler["DownloadProgressUpdate | _Finalizing", str]):
    def __init__(self) -> None:
        self._key: str | None = None

    def packet(self, packet: Any) -> DownloadProgressUpdate | _Finalizing | None:
        match packet_tag(packet):
            case "downloadProgress":
                update: DownloadProgressUpdate = packet.update
                return update
            case "startFinalizing":
                return _FINALIZING
            case "success":
                self._key = packet.default_identifier
        return None

    def close(self) -> str:
        if self._key is None:
            raise LMStudioChannelClosedError("LM Studio ended the download without its model key")
        return self._key


publish(__name__, globals())
