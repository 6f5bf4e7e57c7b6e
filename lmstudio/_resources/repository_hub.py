"""``client.repository``'s hub account and catalog: the model catalog, staff picks, the
hub login status and local artifact folders.

:class:`RepositoryHub` is a base of :class:`~.repository.RepositoryNamespace`; it needs
only the namespace's session. Logging in is interactive (``lms login``, or LM Studio's
window): these calls read the state and can log out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import msgspec
from msgspec import UNSET

from .._exports import publish
from .._protocol.endpoints import repository as repository_api
from .._protocol.models import (
    ComputeDeviceAuthenticationStatus,
    HubModel,
    HubModelMetadataEmbedding,
    HubModelMetadataLlm,
    LocalArtifactFileEntry,
    LocalArtifactFileList,
    LoggedInUserAuthenticationStatus,
    NoAuthenticationStatus,
    RepositoryRpcFuzzyFindStaffPicksParameter,
    RepositoryRpcFuzzyFindStaffPicksReturns,
    RepositoryRpcGetAuthenticationStatusReturns,
    RepositoryRpcGetLocalArtifactFilesParameter,
    RepositoryRpcGetLocalArtifactFilesReturns,
    RepositoryRpcGetModelCatalogReturns,
    RepositoryRpcGetWritableArtifactOwnersReturns,
    RepositoryRpcIsAuthenticatedReturns,
    StaffPick,
)
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioValueError

if TYPE_CHECKING:
    from .._engine.call import Call
    from .._engine.session import Session

__all__ = [
    "AuthenticationStatus",
    "ComputeDeviceAuthenticationStatus",
    "HubModel",
    "HubModelMetadataEmbedding",
    "HubModelMetadataLlm",
    "LocalArtifactFileEntry",
    "LocalArtifactFileList",
    "LoggedInUserAuthenticationStatus",
    "NoAuthenticationStatus",
    "RepositoryHub",
    "StaffPick",
]

AuthenticationStatus: TypeAlias = (
    NoAuthenticationStatus | LoggedInUserAuthenticationStatus | ComputeDeviceAuthenticationStatus
)
"""Who LM Studio is logged in to the hub as: nobody, a user (``user_name``), or a compute
device of an owner (``owner_username``, ``owner_is_organization``)."""


class RepositoryHub:
    """The hub account and catalog half of ``client.repository`` (see the module docstring)."""

    _session: Session

    def get_model_catalog(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[list[HubModel]]:
        """LM Studio's model catalog: the hub's models, with downloads, likes and metadata.

        ``[(m.owner, m.name) for m in client.repository.get_model_catalog().result()]``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[HubModel]]``: each has ``owner``, ``name``, ``description``,
            ``downloads``, ``like_count``, ``staff_picked_at`` (``UNSET`` unless a staff
            pick) and ``metadata`` (a ``HubModelMetadataLlm`` or
            ``HubModelMetadataEmbedding``: architectures, formats, sizes, context lengths).
        """
        return self._session.rpc(
            repository_api.GET_MODEL_CATALOG, transform=_models, timeout=timeout
        )

    def fuzzy_find_staff_picks(
        self,
        search_term: str | None = None,
        *,
        limit: int | None = None,
        compatibility_types: Sequence[str] | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[list[StaffPick]]:
        """LM Studio's staff picks whose name or description matches ``search_term``.

        ``[p.name for p in client.repository.fuzzy_find_staff_picks("qwen").result()]``

        Args:
            search_term: what to look for (``None``: every staff pick).
            limit: at most this many (``None``: LM Studio's default).
            compatibility_types: only models in these formats (``"gguf"``,
                ``"safetensors"``...; ``None``: any).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[StaffPick]]``: ``owner``, ``name``, ``revision_number``,
            ``created_at_timestamp``, ``description`` and ``exact`` (the term is the name).

        Raises:
            LMStudioValueError: ``limit`` is not a positive integer (raised here).
        """
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
        ):
            raise LMStudioValueError(f"limit must be a positive integer, not {limit!r}")
        parameter = RepositoryRpcFuzzyFindStaffPicksParameter(
            search_term=UNSET if search_term is None else search_term,
            limit=UNSET if limit is None else limit,
            compatibility_types=UNSET if compatibility_types is None else list(compatibility_types),
        )
        return self._session.rpc(
            repository_api.FUZZY_FIND_STAFF_PICKS, parameter, transform=_picks, timeout=timeout
        )

    def get_authentication_status(
        self, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[AuthenticationStatus]:
        """Who LM Studio is logged in to the LM Studio Hub as.

        ``print(client.repository.get_authentication_status().result())``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[AuthenticationStatus]``: a ``NoAuthenticationStatus`` (logged out), a
            ``LoggedInUserAuthenticationStatus`` (``.user_name``) or a
            ``ComputeDeviceAuthenticationStatus`` (``.owner_username``).
        """
        return self._session.rpc(
            repository_api.GET_AUTHENTICATION_STATUS, transform=_status, timeout=timeout
        )

    def is_authenticated(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[bool]:
        """Whether LM Studio is logged in to the LM Studio Hub.

        ``if not client.repository.is_authenticated().result(): print("run lms login")``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[bool]``.
        """
        return self._session.rpc(
            repository_api.IS_AUTHENTICATED, transform=_authenticated, timeout=timeout
        )

    def deauthenticate(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[None]:
        """Log LM Studio out of the LM Studio Hub.

        ``client.repository.deauthenticate().result()``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``, done once logged out.
        """
        return self._session.rpc(repository_api.DEAUTHENTICATE, transform=_nothing, timeout=timeout)

    def get_writable_artifact_owners(
        self, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[list[str]]:
        """The hub owners (the user, their organizations) LM Studio may publish as.

        ``print(client.repository.get_writable_artifact_owners().result())``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[str]]``: the owners' names.

        Raises:
            LMStudioServerError: (from the call) LM Studio is not logged in to the hub.
        """
        return self._session.rpc(
            repository_api.GET_WRITABLE_ARTIFACT_OWNERS, transform=_owners, timeout=timeout
        )

    def get_local_artifact_files(
        self, path: str, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[LocalArtifactFileList]:
        """The files an artifact folder on LM Studio's machine would publish.

        ``[f.relative_path for f in client.repository.get_local_artifact_files("/src/my-plugin").result().files]``

        Args:
            path: the folder's path on LM Studio's machine.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LocalArtifactFileList]``: ``files`` (``relative_path``,
            ``size_bytes``) and ``used_ignore_file`` (the ignore file applied, or ``None``).

        Raises:
            LMStudioServerError: (from the call) ``path`` is not a folder.
        """
        parameter = RepositoryRpcGetLocalArtifactFilesParameter(path=path)
        return self._session.rpc(
            repository_api.GET_LOCAL_ARTIFACT_FILES,
            parameter,
            transform=_file_list,
            timeout=timeout,
        )


def _models(returns: RepositoryRpcGetModelCatalogReturns) -> list[HubModel]:
    return returns.models


def _picks(returns: RepositoryRpcFuzzyFindStaffPicksReturns) -> list[StaffPick]:
    return returns.results


def _status(returns: RepositoryRpcGetAuthenticationStatusReturns) -> AuthenticationStatus:
    # The schema's union has an untagged branch, so the generated field is Any: decode it here.
    status: AuthenticationStatus = msgspec.convert(
        returns.authentication_status, AuthenticationStatus
    )
    return status


def _authenticated(returns: RepositoryRpcIsAuthenticatedReturns) -> bool:
    return returns.authenticated


def _nothing(_: Any) -> None:
    return None


def _owners(returns: RepositoryRpcGetWritableArtifactOwnersReturns) -> list[str]:
    return list(returns.owners)


def _file_list(returns: RepositoryRpcGetLocalArtifactFilesReturns) -> LocalArtifactFileList:
    return returns.file_list


publish(__name__, globals())
