"""``client.repository``'s artifacts: download and publish hub artifacts, install plugins.

:class:`RepositoryArtifacts` is a base of :class:`~.repository.RepositoryNamespace`; it
needs only the namespace's session. An artifact (a plugin, a preset, a model's
manifest...) is named ``owner/name`` on the LM Studio Hub; publishing needs LM Studio
logged in to the hub (``ensure_authenticated()``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from msgspec import UNSET

from .._engine.handler import ChannelHandler
from .._engine.stream import SKIP, Skip, Stream
from .._exports import publish
from .._protocol.endpoints import repository as repository_api
from .._protocol.models import (
    DownloadProgressUpdate,
    RepositoryChannelDownloadArtifactCreationParameter,
    RepositoryChannelPushArtifactCreationParameter,
    RepositoryRpcInstallLocalPluginParameter,
    RepositoryRpcInstallPluginDependenciesParameter,
)
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioChannelClosedError, LMStudioValueError
from .checks import check_key
from .loading import packet_tag

if TYPE_CHECKING:
    from .._engine.call import Call
    from .._engine.session import Session

__all__ = ["RepositoryArtifacts", "owner_and_name"]


class RepositoryArtifacts:
    """The artifact half of ``client.repository`` (see the module docstring)."""

    _session: Session

    def download_artifact(
        self,
        artifact: str,
        revision_number: int | None,
        path: str,
        *,
        on_progress: Callable[[DownloadProgressUpdate], object] | None = None,
        on_finalize: Callable[[], object] | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Stream[DownloadProgressUpdate, None]:
        """Download a hub artifact's files into a folder on LM Studio's machine.

        ``client.repository.download_artifact("lmstudio/dice", None, "/tmp/dice").result()``

        Args:
            artifact: ``"owner/name"`` on the LM Studio Hub.
            revision_number: the revision to download (``None``: the latest).
            path: the folder on LM Studio's machine to write it to.
            on_progress: called with each ``DownloadProgressUpdate``.
            on_finalize: called once the bytes are in and LM Studio finalizes them.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Callbacks run where the stream is consumed.

        Returns:
            ``Stream[DownloadProgressUpdate, None]``: progress as items, done when the
            artifact is in place; ``.cancel()`` stops the download.

        Raises:
            LMStudioValueError: an artifact that is not ``owner/name``, a bad revision
                number or a callback that is not callable (raised here).
        """
        owner, name = owner_and_name(artifact)
        if revision_number is not None and (
            isinstance(revision_number, bool)
            or not isinstance(revision_number, int)
            or revision_number < 1
        ):
            raise LMStudioValueError(
                f"revision_number must be a positive integer or None, not {revision_number!r}"
            )
        check_key(path, "path")
        for what, callback in (("on_progress", on_progress), ("on_finalize", on_finalize)):
            if callback is not None and not callable(callback):
                raise LMStudioValueError(f"{what} must be callable")

        def consume(event: DownloadProgressUpdate | None) -> DownloadProgressUpdate | Skip:
            if event is None:
                if on_finalize is not None:
                    on_finalize()
                return SKIP
            if on_progress is not None:
                on_progress(event)
            return event

        creation = RepositoryChannelDownloadArtifactCreationParameter(
            artifact_owner=owner, artifact_name=name, revision_number=revision_number, path=path
        )
        return self._session.channel(
            repository_api.DOWNLOAD_ARTIFACT,
            creation,
            handler=_ArtifactDownloadHandler(),
            consume=consume,
            timeout=timeout,
        )

    def push_artifact(
        self,
        path: str,
        *,
        description: str | None = None,
        make_private: bool | None = None,
        write_revision: bool | None = None,
        overrides: Any = None,
        on_message: Callable[[str], object] | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Stream[str, None]:
        """Publish the artifact in a folder on LM Studio's machine to the hub.

        ``for line in client.repository.push_artifact("/src/my-plugin"): print(line)``

        The folder holds the artifact's ``manifest.json`` (its owner and name) and files
        (``get_local_artifact_files(path)`` lists what is sent).

        Args:
            path: the folder on LM Studio's machine.
            description: the artifact's description on the hub (``None``: the manifest's).
            make_private: publish it as private.
            write_revision: write the new revision number back into the manifest.
            overrides: manifest fields to override (JSON-able).
            on_message: called with each progress message LM Studio sends.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Stream[str, None]``: LM Studio's progress messages, done when published.

        Raises:
            LMStudioValueError: a bad argument (raised here).
            LMStudioServerError: (from the stream) not logged in, or no artifact there.
        """
        check_key(path, "path")
        if on_message is not None and not callable(on_message):
            raise LMStudioValueError("on_message must be callable")
        for what, flag in (("make_private", make_private), ("write_revision", write_revision)):
            if flag is not None and not isinstance(flag, bool):
                raise LMStudioValueError(f"{what} must be True, False or None, not {flag!r}")
        if description is not None and not isinstance(description, str):
            raise LMStudioValueError(f"description must be a string, not {description!r}")

        def consume(message: str) -> str:
            if on_message is not None:
                on_message(message)
            return message

        creation = RepositoryChannelPushArtifactCreationParameter(
            path=path,
            description=UNSET if description is None else description,
            make_private=UNSET if make_private is None else make_private,
            write_revision=UNSET if write_revision is None else write_revision,
            overrides=UNSET if overrides is None else overrides,
        )
        return self._session.channel(
            repository_api.PUSH_ARTIFACT,
            creation,
            handler=_PushHandler(),
            consume=consume,
            timeout=timeout,
        )

    def install_local_plugin(
        self, path: str, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[None]:
        """Install the plugin in a folder on LM Studio's machine, as if from the hub.

        ``client.repository.install_local_plugin("/src/my-plugin").result()``

        Args:
            path: the plugin's folder (with its ``manifest.json``).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``, done once installed.

        Raises:
            LMStudioValueError: ``path`` is not a non-empty string (raised here).
            LMStudioServerError: (from the call) no plugin manifest there.
        """
        check_key(path, "path")
        parameter = RepositoryRpcInstallLocalPluginParameter(plugin_path=path)
        return self._session.rpc(repository_api.INSTALL_LOCAL_PLUGIN, parameter, timeout=timeout)

    def install_plugin_dependencies(
        self, plugin_folder: str, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[None]:
        """Install the dependencies a plugin's manifest names (``npm install`` for a Node
        plugin, and so on) in its folder on LM Studio's machine.

        ``client.repository.install_plugin_dependencies("/src/my-plugin").result()``

        Args:
            plugin_folder: the plugin's folder.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``, done once installed.

        Raises:
            LMStudioValueError: ``plugin_folder`` is not a non-empty string (raised here).
            LMStudioServerError: (from the call) no plugin manifest there.
        """
        check_key(plugin_folder, "plugin folder")
        parameter = RepositoryRpcInstallPluginDependenciesParameter(plugin_folder=plugin_folder)
        return self._session.rpc(
            repository_api.INSTALL_PLUGIN_DEPENDENCIES, parameter, timeout=timeout
        )


def owner_and_name(artifact: object) -> tuple[str, str]:
    if isinstance(artifact, str):
        owner, slash, name = artifact.partition("/")
        if slash and owner and name and "/" not in name:
            return owner, name
    raise LMStudioValueError(f'An artifact is named "owner/name", not {artifact!r}')


class _ArtifactDownloadHandler(ChannelHandler["DownloadProgressUpdate | None", None]):
    """Progress updates as events, ``None`` for "finalizing"; done at ``success``."""

    def __init__(self) -> None:
        self._done = False

    def packet(self, packet: Any) -> DownloadProgressUpdate | list[Any] | None:
        match packet_tag(packet):
            case "downloadProgress":
                update: DownloadProgressUpdate = packet.update
                return update
            case "startFinalizing":
                return [None]  # an event of its own (a bare None means "no event")
            case "success":
                self._done = True
        return []

    def close(self) -> None:
        if not self._done:
            raise LMStudioChannelClosedError("LM Studio ended the download before it was done")


class _PushHandler(ChannelHandler[str, None]):
    def packet(self, packet: Any) -> str | None:
        return packet.message if packet_tag(packet) == "message" else None


publish(__name__, globals())
