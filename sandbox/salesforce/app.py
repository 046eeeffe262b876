"""The org's HTTP face: routing, sessions, the daily API allowance and error answers.

Every request under ``/services/data/vXX.X/`` must carry ``Authorization: Bearer <session>``
(401 ``INVALID_SESSION_ID`` otherwise), counts one against the daily allowance (403
``REQUEST_LIMIT_EXCEEDED`` once spent) and is answered with ``Sforce-Limit-Info``. Unknown
URLs are 404 ``NOT_FOUND``, unexpected failures 500 ``UNKNOWN_EXCEPTION``: never a traceback.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from leadsync.sandbox.http import WSGIEnviron, json_response
from leadsync.sandbox.salesforce import (
    bulk,
    composite,
    query,
    replication,
    soap,
    sobjects,
    tooling,
)
from leadsync.sandbox.salesforce.errors import ApiError, not_found
from leadsync.sandbox.salesforce.limits import CONCURRENT_LIMIT_EXCEEDED, LIMIT_EXCEEDED

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.org import SalesforceOrg

log = logging.getLogger(__name__)
DATA = "/services/data/v<version>"
RELEASES = {"57.0": "Spring '23", "58.0": "Summer '23", "59.0": "Winter '24",
            "60.0": "Spring '24", "61.0": "Summer '24", "62.0": "Winter '25"}

Handler = Callable[..., Response]

ROUTES: dict[str, Handler] = {
    DATA: lambda org, request: json_response(_resources(org)),
    f"{DATA}/limits": lambda org, request: json_response(org.usage.limits()),
    f"{DATA}/query": lambda org, request: query.handle_query(org, request, False),
    f"{DATA}/query/<locator>": lambda org, request, locator: query.handle_more(
        org, request, locator, False),
    f"{DATA}/queryAll": lambda org, request: query.handle_query(org, request, True),
    f"{DATA}/queryAll/<locator>": lambda org, request, locator: query.handle_more(
        org, request, locator, True),
    f"{DATA}/sobjects": sobjects.handle_global,
    f"{DATA}/sobjects/<sobject>": sobjects.handle_sobject,
    f"{DATA}/sobjects/<sobject>/describe": sobjects.handle_describe,
    f"{DATA}/sobjects/<sobject>/updated": replication.handle_updated,
    f"{DATA}/sobjects/<sobject>/deleted": replication.handle_deleted,
    f"{DATA}/sobjects/<sobject>/<record_id>": sobjects.handle_record,
    f"{DATA}/sobjects/<sobject>/<field>/<path:value>": sobjects.handle_external,
    f"{DATA}/composite/sobjects": composite.handle_collection,
    f"{DATA}/composite/sobjects/<sobject>": composite.handle_retrieve,
    f"{DATA}/composite/sobjects/<sobject>/<field>": composite.handle_upsert,
    f"{DATA}/tooling/query": tooling.handle_query,
    f"{DATA}/tooling/query/<locator>": tooling.handle_more,
    f"{DATA}/tooling/sobjects/<sobject>": tooling.handle_sobject,
    f"{DATA}/tooling/sobjects/<sobject>/<record_id>": tooling.handle_record,
    **bulk.routes(DATA),  # Bulk API 2.0: jobs/query, jobs/ingest
}


class App:
    """The WSGI application of one org."""

    def __init__(self, org: SalesforceOrg) -> None:
        self.org = org
        self.url_map = Map([Rule(path, endpoint=path) for path in ROUTES],
                           strict_slashes=False, merge_slashes=False)

    def __call__(self, environ: WSGIEnviron, start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        with self.org.lock:
            try:
                response = self.dispatch(request)
            except ApiError as error:
                response = json_response(error.body(), error.status)
            except Exception:
                log.exception("Salesforce sandbox failed on %s %s", request.method, request.path)
                response = self.unexpected_response()
            response.headers["Sforce-Limit-Info"] = self.org.usage.header()
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if path == "/services/data":
            return json_response(_versions(self.org.api_version))
        if path.startswith("/services/Soap/u/"):
            return soap.handle(self.org, request)
        if not path.startswith("/services/"):
            raise not_found()
        self.authenticate(request)
        if not self.org.usage.take():
            raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", LIMIT_EXCEEDED)
        try:
            endpoint, args = self.url_map.bind("sandbox").match(path, method="GET")
        except NotFound:
            raise not_found() from None
        params = dict(args)
        if not _supported(params.pop("version"), self.org.api_version):
            raise not_found()
        return ROUTES[endpoint](self.org, request, **params)

    def authenticate(self, request: Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or token.strip() != self.org.session_id:
            raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def throttle_response(self) -> Response:
        response = json_response(
            ApiError(403, "REQUEST_LIMIT_EXCEEDED", CONCURRENT_LIMIT_EXCEEDED).body(), 403)
        response.headers["Sforce-Limit-Info"] = self.org.usage.header()
        return response

    def unavailable_response(self) -> Response:
        body = ApiError(503, "SERVER_UNAVAILABLE",
                        "Server temporarily unavailable. Please try again later.").body()
        response = json_response(body, 503)
        response.headers["Sforce-Limit-Info"] = self.org.usage.header()
        return response

    @staticmethod
    def unexpected_response() -> Response:
        error_id = f"{random.randrange(10**9)}-{random.randrange(10**5)} " \
                   f"({random.randrange(-10**9, 10**9)})"
        return json_response(ApiError(
            500, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId "
            f"if you contact support: {error_id}").body(), 500)


def _supported(version: str, newest: str) -> bool:
    try:
        return 20.0 <= float(version) <= float(newest) and version.count(".") == 1
    except ValueError:
        return False


def _versions(newest: str) -> list[dict[str, str]]:
    return [{"label": label, "url": f"/services/data/v{version}", "version": version}
            for version, label in RELEASES.items() if float(version) <= float(newest)]


def _resources(org: SalesforceOrg) -> dict[str, str]:
    base = f"/services/data/v{org.api_version}"
    names = ("tooling", "metadata", "eclair", "folders", "prechatForms", "contact-tracing",
             "jsonxform", "chatter", "tabs", "appMenu", "quickActions", "queryAll", "commerce",
             "wave", "iot", "analytics", "search", "identity", "composite", "parameterizedSearch",
             "fingerprint", "theme", "nouns", "event", "serviceTemplates", "recent",
             "connect", "licensing", "limits", "process", "async-queries", "query",
             "match", "emailConnect", "compactLayouts", "knowledgeManagement", "sobjects",
             "actions", "support")
    return {name: f"{base}/{name}" for name in names}
