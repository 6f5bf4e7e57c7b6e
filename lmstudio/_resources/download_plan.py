"""``client.repository.create_download_plan()``: plan a download, adjust it, then commit.

LM Studio resolves what downloading a hub artifact (a model with its dependencies, a
plugin...) or a model takes: a plan of nodes, each model node with its download options.
The plan is a stream: each update of the plan is an item (an ``ArtifactDownloadPlan``:
``nodes``, ``download_size_bytes``, ``version``); once ``ready``, choose another option
for a model node (``select_download_option``), then ``commit()`` to download: the
stream's items are then the download's ``DownloadProgressUpdate``s, and its result is the
final plan. ``cancel_plan()`` (or ``cancel()``) drops the plan::

    with client.repository.create_download_plan("lmstudio/dice") as planning:
        for item in planning:
            if planning.ready and not planning.committed:
                planning.commit()
        plan = planning.result()

:class:`DownloadPlanning` is a base of :class:`~.repository.RepositoryNamespace`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from msgspec import UNSET

from .._engine.handler import ChannelHandler
from .._engine.stream import Stream
from .._exports import publish
from .._protocol.endpoints import repository as repository_api
from .._protocol.models import (
    ArtifactDownloadPlan,
    ArtifactDownloadPlanNodeModel,
    DownloadPlanOptions,
    DownloadProgressUpdate,
    HuggingFaceModelDownloadSource,
    RepositoryChannelCreateDownloadPlanCreationParameter,
    RepositoryChannelCreateDownloadPlanCreationParameterOptsResolutionPreferenceItemFileName,
    RepositoryChannelCreateDownloadPlanCreationParameterOptsResolutionPreferenceItemQuantName,
    RepositoryChannelCreateDownloadPlanCreationParameterTargetArtifact,
    RepositoryChannelCreateDownloadPlanCreationParameterTargetModel,
    RepositoryChannelCreateDownloadPlanToServerPacket,
    RepositoryChannelCreateDownloadPlanToServerPacketCancelDownload,
    RepositoryChannelCreateDownloadPlanToServerPacketCancelPlan,
    RepositoryChannelCreateDownloadPlanToServerPacketCommit,
    RepositoryChannelCreateDownloadPlanToServerPacketSetSelectedDownloadOptionIndex,
)
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioChannelClosedError, LMStudioValueError
from .loading import packet_tag
from .repository_artifacts import owner_and_name

if TYPE_CHECKING:
    from .._engine.session import Session

__all__ = [
    "ArtifactDownloadPlan",
    "DownloadPlanEvent",
    "DownloadPlanOptions",
    "DownloadPlanStream",
    "DownloadPlanning",
]

DownloadPlanEvent: TypeAlias = ArtifactDownloadPlan | DownloadProgressUpdate
"""An item of a :class:`DownloadPlanStream`: a plan update, or (after ``commit()``)
download progress."""

_FileName = RepositoryChannelCreateDownloadPlanCreationParameterOptsResolutionPreferenceItemFileName
_QuantName = (
    RepositoryChannelCreateDownloadPlanCreationParameterOptsResolutionPreferenceItemQuantName
)


class DownloadPlanning:
    """The download planning part of ``client.repository`` (see the module docstring)."""

    _session: Session

    def create_download_plan(
        self,
        artifact: str | None = None,
        *,
        huggingface: str | None = None,
        quantizations: Iterable[str] = (),
        file_names: Iterable[str] = (),
        compatibility_types: Iterable[str] | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> DownloadPlanStream:
        """Plan the download of a hub artifact or a Hugging Face model, to commit later.

        ``planning = client.repository.create_download_plan("lmstudio/dice")``

        Args:
            artifact: ``"owner/name"`` of a hub artifact (a model, a plugin...).
            huggingface: or ``"user/repo"`` of a Hugging Face model repository.
            quantizations: preferred quantizations, best first (``"Q4_K_M"``...).
            file_names: preferred model file names, before ``quantizations``.
            compatibility_types: the model formats to consider (``"gguf"``,
                ``"safetensors"``...; ``None``: what this machine runs).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            A :class:`DownloadPlanStream`: plan updates as items; ``ready``, ``plan``,
            ``select_download_option()``, ``commit()``, ``cancel_plan()``.

        Raises:
            LMStudioValueError: neither or both of ``artifact`` and ``huggingface``, or
                a name that is not ``owner/name`` (raised here).
        """
        target: Any
        if (artifact is None) == (huggingface is None):
            raise LMStudioValueError("Plan either a hub artifact or a Hugging Face model")
        if artifact is not None:
            owner, name = owner_and_name(artifact)
            target = RepositoryChannelCreateDownloadPlanCreationParameterTargetArtifact(
                owner=owner, name=name
            )
        else:
            user, repo = owner_and_name(huggingface)
            target = RepositoryChannelCreateDownloadPlanCreationParameterTargetModel(
                source=HuggingFaceModelDownloadSource(user=user, repo=repo)
            )
        preference: list[Any] = [_FileName(file_name=f) for f in _strings(file_names, "file")]
        preference += [_QuantName(quant_name=q) for q in _strings(quantizations, "quantization")]
        opts = DownloadPlanOptions(
            resolution_preference=preference or UNSET,
            compatibility_types=UNSET
            if compatibility_types is None
            else _strings(compatibility_types, "compatibility type"),
        )
        handler = _PlanHandler()
        stream = self._session.channel(
            repository_api.CREATE_DOWNLOAD_PLAN,
            RepositoryChannelCreateDownloadPlanCreationParameter(target=target, opts=opts),
            handler=handler,
            timeout=timeout,
            stream_class=DownloadPlanStream,
        )
        assert isinstance(stream, DownloadPlanStream)
        stream._attach(self._session, handler)
        return stream


class DownloadPlanStream(Stream[DownloadPlanEvent, ArtifactDownloadPlan]):
    """A download plan being made (``client.repository.create_download_plan()``).

    Items: each ``ArtifactDownloadPlan`` update, then, after :meth:`commit`, the
    download's ``DownloadProgressUpdate``s. Its result is the final plan, once the
    download is done. ``plan`` is the latest plan received, ``ready`` whether LM Studio
    finished resolving it. ``cancel()`` (also ``close()`` and leaving ``with``) cancels
    the plan, or the download once committed.
    """

    __slots__ = ("_handler", "_plan_session", "committed")

    def _attach(self, session: Session, handler: _PlanHandler) -> None:
        self._plan_session = session
        self._handler = handler
        self.committed = False
        """Whether :meth:`commit` was called."""

    @property
    def plan(self) -> ArtifactDownloadPlan | None:
        """The latest plan LM Studio sent (``None`` before the first)."""
        return self._handler.plan

    @property
    def ready(self) -> bool:
        """Whether LM Studio has resolved the whole plan (``commit()`` may be called)."""
        return self._handler.ready

    def select_download_option(self, node_index: int, option_index: int | None) -> None:
        """Download option ``option_index`` of the model node ``node_index`` of ``plan``
        (``None``: the model already downloaded); LM Studio then sends the updated plan.

        Raises:
            LMStudioValueError: the plan is not ready or is committed, no such model
                node, or no such option.
        """
        plan = self._handler.plan
        if not self.ready or plan is None:
            raise LMStudioValueError("The plan is not ready yet: wait for `ready`")
        if self.committed:
            raise LMStudioValueError("The plan is committed: its download has started")
        node = plan.nodes[node_index] if 0 <= node_index < len(plan.nodes) else None
        if not isinstance(node, ArtifactDownloadPlanNodeModel):
            raise LMStudioValueError(f"Node {node_index} of the plan is not a model node")
        options = node.download_options if node.download_options is not UNSET else []
        if option_index is not None and not 0 <= option_index < len(options):
            raise LMStudioValueError(f"Node {node_index} has no download option {option_index}")
        self._send(
            RepositoryChannelCreateDownloadPlanToServerPacketSetSelectedDownloadOptionIndex(
                node_index=node_index,
                selected_download_option_index=option_index,
                requested_plan_version=self._handler.next_version(),
            )
        )

    def commit(self) -> None:
        """Download what the plan says; the stream's items are then download progress.

        Raises:
            LMStudioValueError: the plan is not ready, or was committed already.
        """
        if not self.ready:
            raise LMStudioValueError("The plan is not ready yet: wait for `ready`")
        if self.committed:
            raise LMStudioValueError("The plan is committed already")
        self.committed = True
        self._send(RepositoryChannelCreateDownloadPlanToServerPacketCommit())

    def cancel_plan(self) -> bool:
        """Drop the plan (before ``commit()``), as ``cancel()`` does.

        Returns:
            ``True`` if the stream is cancelled now, ``False`` if it had ended.
        """
        return self.cancel()

    def cancel(self) -> bool:
        """Cancel the plan, or the download once committed; ``False`` if already ended."""
        if self.committed and not self.done():
            self._send(RepositoryChannelCreateDownloadPlanToServerPacketCancelDownload())
        return super().cancel()

    def _send(self, packet: RepositoryChannelCreateDownloadPlanToServerPacket) -> None:
        self._plan_session.send(repository_api.CREATE_DOWNLOAD_PLAN, self, packet)


class _PlanHandler(ChannelHandler[DownloadPlanEvent, ArtifactDownloadPlan]):
    """Plans and progress as events; the final plan once the download succeeded."""

    cancel_packet: ClassVar[Any] = RepositoryChannelCreateDownloadPlanToServerPacketCancelPlan()

    def __init__(self) -> None:
        self.plan: ArtifactDownloadPlan | None = None
        self.ready = False
        self._requested = 1
        self._downloaded = False

    def next_version(self) -> int:
        version = self._requested
        self._requested += 1
        return version

    def packet(self, packet: Any) -> DownloadPlanEvent | None:
        match packet_tag(packet):
            case "planUpdated" | "planReady":
                plan: ArtifactDownloadPlan = packet.plan
                self.plan = plan
                if isinstance(plan.version, int):
                    self._requested = max(self._requested, plan.version + 1)
                if packet_tag(packet) == "planReady":
                    self.ready = True
                return plan
            case "downloadProgress":
                update: DownloadProgressUpdate = packet.update
                return update
            case "success":
                self._downloaded = True
        return None

    def close(self) -> ArtifactDownloadPlan:
        if not self._downloaded or self.plan is None:
            raise LMStudioChannelClosedError("LM Studio ended the download plan before its end")
        return self.plan


def _strings(values: Iterable[str], what: str) -> list[str]:
    found = list(values) if not isinstance(values, str) else [values]
    for value in found:
        if not isinstance(value, str) or not value:
            raise LMStudioValueError(f"Each {what} must be a non-empty string, not {value!r}")
    return found


publish(__name__, globals())
