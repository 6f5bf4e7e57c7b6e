"""``client.runtime``: LM Studio's inference engines (llama.cpp, MLX...) and the hardware.

::

    for engine in client.runtime.list_engines().result():
        print(engine.name, engine.version, engine.supported_model_format_names)
    survey = client.runtime.survey_hardware().result()
    found = client.runtime.search_extensions("llama.cpp").result()
    for progress in client.runtime.download_extension(found[0].name, found[0].version):
        print(progress.downloaded_bytes, "/", progress.total_bytes)

Each engine or extension is named by a :class:`RuntimeEngineSpecifier` (``name`` and
``version``). These endpoints are new in 2026: an older LM Studio does not answer them
(the calls then time out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from msgspec import UNSET

from .._engine.call import Call
from .._engine.handler import ChannelHandler
from .._engine.stream import Skip, Stream
from .._exports import publish
from .._protocol.endpoints import runtime as runtime_api
from .._protocol.models import (
    DownloadableRuntimeEngineExtension,
    DownloadableRuntimeFrameworkExtension,
    DownloadProgressUpdate,
    RuntimeChannelDownloadRuntimeExtensionCreationParameter,
    RuntimeEngineInfo,
    RuntimeEngineSpecifier,
    RuntimeHardwareSurveyResult,
    RuntimeHardwareSurveyScopeAll,
    RuntimeHardwareSurveyScopeCustom,
    RuntimeRpcGetEngineSelectionsSuperjson,
    RuntimeRpcSearchRuntimeExtensionsParameter,
    RuntimeRpcSearchRuntimeExtensionsReturns,
    RuntimeRpcSelectEngineParameter,
)
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioProtocolError, LMStudioValueError
from .loading import packet_tag
from .repository import DownloadProgressCallback

if TYPE_CHECKING:
    from .._engine.session import Session

__all__ = [
    "DownloadableRuntimeEngineExtension",
    "DownloadableRuntimeExtension",
    "DownloadableRuntimeFrameworkExtension",
    "RuntimeEngineInfo",
    "RuntimeEngineSpecifier",
    "RuntimeHardwareSurveyResult",
    "RuntimeNamespace",
]

DownloadableRuntimeExtension: TypeAlias = (
    DownloadableRuntimeEngineExtension | DownloadableRuntimeFrameworkExtension
)
"""A runtime extension LM Studio can download: an engine, or a framework engines use."""

# superjson's ``undefined``: how LM Studio's TypeScript client sends the void parameter of
# a superjson endpoint (LM Studio deserializes every superjson parameter it receives).
_SUPERJSON_UNDEFINED: dict[str, Any] = {"json": None, "meta": {"values": ["undefined"]}}


def _specifier(
    engine: RuntimeEngineSpecifier | RuntimeEngineInfo | str, version: str | None
) -> Any:
    if isinstance(engine, str):
        if version is None:
            raise LMStudioValueError("an engine given by name needs its version")
        return RuntimeEngineSpecifier(name=engine, version=version)
    if version is not None:
        raise LMStudioValueError("version= goes with an engine given by name only")
    return RuntimeEngineSpecifier(name=engine.name, version=engine.version)


class RuntimeNamespace:
    """LM Studio's engines, runtime extensions and hardware: ``client.runtime``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def list_engines(
        self, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[list[RuntimeEngineInfo]]:
        """The engines installed in LM Studio (llama.cpp, MLX... per platform and build).

        ``for e in client.runtime.list_engines().result(): print(e.name, e.version)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[RuntimeEngineInfo]]`` (``name``, ``version``, ``engine``,
            ``platform``, ``cpu``, ``gpu``, ``supported_model_format_names``).
        """
        return self._session.rpc(runtime_api.LIST_ENGINES, timeout=timeout)

    def get_engine_selections(
        self, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[dict[str, RuntimeEngineSpecifier]]:
        """Which engine LM Studio uses for each model format.

        ``print(client.runtime.get_engine_selections().result()["GGUF"].name)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[dict[str, RuntimeEngineSpecifier]]``: model format (``"GGUF"``,
            ``"MLX"``...) to the selected engine.
        """

        def unwrap(
            envelope: RuntimeRpcGetEngineSelectionsSuperjson,
        ) -> dict[str, RuntimeEngineSpecifier]:
            return {model_format: engine for model_format, engine in envelope.json}

        # The only superjson endpoint: its void parameter travels as superjson's undefined
        # (an untyped dict: the endpoint's parameter type is "nothing").
        undefined = cast(None, _SUPERJSON_UNDEFINED)
        return self._session.rpc(
            runtime_api.GET_ENGINE_SELECTIONS, undefined, transform=unwrap, timeout=timeout
        )

    def select_engine(
        self,
        engine: RuntimeEngineSpecifier | RuntimeEngineInfo | str,
        model_format: str,
        *,
        version: str | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[None]:
        """Make ``engine`` the one LM Studio uses for models of ``model_format``.

        ``client.runtime.select_engine(engines[0], "GGUF").result()``

        Args:
            engine: an engine from :meth:`list_engines`, its specifier, or its name (then
                with ``version=``).
            model_format: the model format name, such as ``"GGUF"``.
            version: the engine's version, when ``engine`` is a name.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``.

        Raises:
            LMStudioValueError: a name without ``version=``, or ``version=`` with an
                engine object (raised here).
        """
        parameter = RuntimeRpcSelectEngineParameter(
            engine=_specifier(engine, version), model_format_name=model_format
        )
        return self._session.rpc(runtime_api.SELECT_ENGINE, parameter, timeout=timeout)

    def remove_engine(
        self,
        engine: RuntimeEngineSpecifier | RuntimeEngineInfo | str,
        *,
        version: str | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[None]:
        """Uninstall an engine.

        ``client.runtime.remove_engine("llama.cpp-linux-x86_64", version="1.50.2").result()``

        Args:
            engine: an engine from :meth:`list_engines`, its specifier, or its name (then
                with ``version=``).
            version: the engine's version, when ``engine`` is a name.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``.

        Raises:
            LMStudioValueError: as for :meth:`select_engine` (raised here).
            LMStudioServerError: (from the call) no such engine is installed.
        """
        return self._session.rpc(
            runtime_api.REMOVE_ENGINE, _specifier(engine, version), timeout=timeout
        )

    def search_extensions(
        self,
        query: str = "",
        *,
        include_incompatible: bool = False,
        channel: str | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[list[DownloadableRuntimeExtension]]:
        """Runtime extensions (engines and frameworks) LM Studio can download.

        ``found = client.runtime.search_extensions("llama.cpp").result()``

        Args:
            query: what to look for in their names (``""``: every extension).
            include_incompatible: also those this machine cannot run.
            channel: a release channel to search instead of LM Studio's setting
                (``None``: the setting).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[DownloadableRuntimeExtension]]``: each has ``name``,
            ``version`` and the ``local_versions`` already installed.
        """
        parameter = RuntimeRpcSearchRuntimeExtensionsParameter(
            query=query,
            include_incompatible=include_incompatible,
            channel_override=UNSET if channel is None else channel,
        )

        def extensions(
            found: RuntimeRpcSearchRuntimeExtensionsReturns,
        ) -> list[DownloadableRuntimeExtension]:
            return list(found.extensions)

        return self._session.rpc(
            runtime_api.SEARCH_RUNTIME_EXTENSIONS, parameter, transform=extensions, timeout=timeout
        )

    def download_extension(
        self,
        name: str,
        version: str,
        *,
        update_selections: bool = True,
        on_progress: DownloadProgressCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Stream[DownloadProgressUpdate, None]:
        """Download and install a runtime extension.

        ``for p in client.runtime.download_extension(ext.name, ext.version): print(p)``

        Args:
            name: the extension's name (from :meth:`search_extensions`).
            version: the version to install.
            update_selections: make it the selected engine for the formats it supports
                (default ``True``, as LM Studio's app does).
            on_progress: called with each ``DownloadProgressUpdate``, where the stream
                is consumed (never on the SDK's own loop).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's): the download fails when no progress arrives for that long.

        Returns:
            ``Stream[DownloadProgressUpdate, None]``: iterate it for progress,
            ``.result()`` / ``await`` it to wait for the installation, ``.cancel()`` it
            to stop.

        Raises:
            LMStudioValueError: ``on_progress`` is not callable (raised here).
        """
        if on_progress is not None and not callable(on_progress):
            raise LMStudioValueError("on_progress must be callable")

        def consume(update: DownloadProgressUpdate) -> DownloadProgressUpdate | Skip:
            if on_progress is not None:
                on_progress(update)
            return update

        creation = RuntimeChannelDownloadRuntimeExtensionCreationParameter(
            name=name, version=version, update_selections=update_selections
        )
        return self._session.channel(
            runtime_api.DOWNLOAD_RUNTIME_EXTENSION,
            creation,
            handler=_ExtensionDownload(),
            consume=consume,
            timeout=timeout,
        )

    def survey_hardware(
        self,
        engines: Sequence[RuntimeEngineSpecifier | RuntimeEngineInfo] | None = None,
        *,
        all_engines: bool = False,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[RuntimeHardwareSurveyResult]:
        """What the engines find on this machine: GPUs, CPU, memory, compatibility.

        ``for e in client.runtime.survey_hardware().result().engines: print(e.memory_info)``

        Args:
            engines: survey with these engines only (``None``: see ``all_engines``).
            all_engines: survey with every installed engine; default: the selected ones.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[RuntimeHardwareSurveyResult]``: ``status`` and one entry per engine
            (``compatibility``, ``hardware_survey`` with the GPUs and the CPU,
            ``memory_info``).

        Raises:
            LMStudioValueError: both ``engines`` and ``all_engines`` (raised here).
        """
        scope: Any = None  # absent: LM Studio's default (the selected engines)
        if engines is not None:
            if all_engines:
                raise LMStudioValueError("give engines= or all_engines=True, not both")
            scope = RuntimeHardwareSurveyScopeCustom(
                engines=[_specifier(engine, None) for engine in engines]
            )
        elif all_engines:
            scope = RuntimeHardwareSurveyScopeAll()
        return self._session.rpc(runtime_api.SURVEY_HARDWARE, scope, timeout=timeout)


class _ExtensionDownload(ChannelHandler[DownloadProgressUpdate, None]):
    def __init__(self) -> None:
        self._installed = False

    def packet(self, packet: Any) -> DownloadProgressUpdate | None:
        match packet_tag(packet):
            case "downloadProgress":
                update: DownloadProgressUpdate = packet.update
                return update
            case "success":
                self._installed = True
        return None  # startFinalizing: nothing to report

    def close(self) -> None:
        if not self._installed:
            raise LMStudioProtocolError("LM Studio ended the extension download without success")


publish(__name__, globals())
