"""HTTP sessions for the vendor clients that honour a configured CA bundle.

``requests`` lets ``REQUESTS_CA_BUNDLE`` (and ``CURL_CA_BUNDLE``) override a session's
``verify`` whenever the call itself does not pass one, which is how simple-salesforce calls.
On a machine behind a TLS-inspecting proxy, or against the sandbox's own CA, the configured
bundle must win, so this session puts its own ``verify`` back after the environment is merged.
Proxies and the rest of the environment still apply.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from requests.sessions import _Settings  # types-requests' TypedDict; not there at run time


class PinnedCASession(requests.Session):
    """A ``requests.Session`` whose ``verify`` is not overridden by the environment.

    ``timeout`` (seconds) applies to every request that does not set its own, since
    simple-salesforce passes none.
    """

    timeout: float | None = None

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        if self.timeout is not None:
            kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)

    def merge_environment_settings(self, url: str | bytes | None,
                                   proxies: MutableMapping[str, str] | None, stream: bool | None,
                                   verify: bool | str | None,
                                   cert: str | tuple[str, str] | None) -> _Settings:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None or verify is True:
            settings["verify"] = self.verify
        return settings


def ca_session(ca_bundle: str | None, timeout: float | None = None) -> PinnedCASession:
    """A session that verifies TLS against ``ca_bundle``, or the default store when None."""
    session = PinnedCASession()
    if ca_bundle:
        session.verify = str(ca_bundle)
    session.timeout = timeout
    return session
