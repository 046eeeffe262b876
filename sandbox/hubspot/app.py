"""The portal's HTTP face: routing, bearer-token authentication, rate limits, JSON in and out.

Every answer is JSON shaped as HubSpot shapes it, errors included: a malformed body is a 400
"Invalid input JSON", an unknown path a 404, an unknown object type HubSpot's 400 "Unable to infer
object type from: ...", and anything unexpected a 500 with a HubSpot-shaped body, never a
traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from leadsync.sandbox.http import WSGIEnviron, json_response, parse_json
from leadsync.sandbox.hubspot import owners as _owners
from leadsync.sandbox.hubspot import properties as props
from leadsync.sandbox.hubspot import schema
from leadsync.sandbox.hubspot.errors import (
    HubSpotError,
    correlation_id,
    not_found,
    validation_error,
)
from leadsync.sandbox.hubspot.objects_api import ObjectsApi

if TYPE_CHECKING:
    from leadsync.sandbox.hubspot.portal import HubSpotPortal

log = logging.getLogger(__name__)
Reply = tuple[int, Any]

AUTH_MESSAGE = ("Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview")

ROUTES = Map([
    Rule("/crm/v3/objects/<object_type>", methods=["GET", "POST"], endpoint="objects"),
    Rule("/crm/v3/objects/<object_type>/search", methods=["POST"], endpoint="search"),
    Rule("/crm/v3/objects/<object_type>/merge", methods=["POST"], endpoint="merge"),
    Rule("/crm/v3/objects/<object_type>/batch/<action>", methods=["POST"], endpoint="batch"),
    Rule("/crm/v3/objects/<object_type>/<object_id>", methods=["GET", "PATCH", "DELETE"],
         endpoint="object"),
    Rule("/crm/v4/objects/<object_type>/<object_id>/associations/<to_type>", methods=["GET"],
         endpoint="associations"),
    Rule("/crm/v4/associations/<object_type>/<to_type>/batch/read", methods=["POST"],
         endpoint="association_batch"),
    Rule("/crm/v3/properties/<object_type>", methods=["GET", "POST"], endpoint="properties"),
    Rule("/crm/v3/properties/<object_type>/groups", methods=["GET", "POST"], endpoint="groups"),
    Rule("/crm/v3/properties/<object_type>/groups/<name>", methods=["GET", "PATCH", "DELETE"],
         endpoint="group"),
    Rule("/crm/v3/properties/<object_type>/<name>", methods=["GET", "PATCH", "DELETE"],
         endpoint="property"),
    Rule("/crm/v3/owners/", methods=["GET"], endpoint="owners"),
    Rule("/crm/v3/owners/<owner_id>", methods=["GET"], endpoint="owner"),
    Rule("/crm/v3/lists/", methods=["GET", "POST"], endpoint="lists"),
    Rule("/crm/v3/lists/search", methods=["POST"], endpoint="list_search"),
    Rule("/crm/v3/lists/object-type-id/<type_id>/name/<path:name>", methods=["GET"],
         endpoint="list_by_name"),
    Rule("/crm/v3/lists/records/<type_id>/<record_id>/memberships", methods=["GET"],
         endpoint="record_lists"),
    Rule("/crm/v3/lists/<list_id>", methods=["GET", "DELETE"], endpoint="list"),
    Rule("/crm/v3/lists/<list_id>/restore", methods=["PUT"], endpoint="list_restore"),
    Rule("/crm/v3/lists/<list_id>/update-list-name", methods=["PUT"], endpoint="list_rename"),
    Rule("/crm/v3/lists/<list_id>/memberships", methods=["GET", "DELETE"],
         endpoint="memberships"),
    Rule("/crm/v3/lists/<list_id>/memberships/<change>", methods=["PUT"],
         endpoint="membership_change"),
], strict_slashes=False, merge_slashes=False)


class PortalApp:
    def __init__(self, portal: HubSpotPortal) -> None:
        self.portal = portal
        self.objects = ObjectsApi(portal)

    def __call__(self, environ: WSGIEnviron, start_response: Any) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        with self.portal.lock:
            if not self._authenticated(request):
                return json_response({"status": "error", "message": AUTH_MESSAGE,
                                      "correlationId": correlation_id(),
                                      "category": "INVALID_AUTHENTICATION"}, status=401)
            try:
                endpoint, args = ROUTES.bind_to_environ(request.environ).match()
            except HTTPException as error:
                endpoint, args, unmatched = None, {}, error
            refusal = self.portal.limits.admit(is_search=endpoint == "search")
            if refusal is not None:
                return refusal
            try:
                if endpoint is None:
                    raise _http_error(unmatched, request)
                status, body = self._dispatch(str(endpoint), request, dict(args))
            except HubSpotError as error:
                status, body = error.status, error.body()
            except Exception:
                log.exception("HubSpot sandbox failed on %s %s", request.method, request.path)
                status, body = 500, {"status": "error", "message": "internal error",
                                     "correlationId": correlation_id(),
                                     "category": "INTERNAL_ERROR"}
            return json_response(body, status=status, headers=self.portal.limits.headers())

    def _authenticated(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and token.strip() == self.portal.access_token

    def _dispatch(self, endpoint: str, request: Request, args: dict[str, Any]) -> Reply:
        if "object_type" in args:
            args["object_type"] = object_type(args["object_type"])
        if "to_type" in args:
            args["to_type"] = object_type(args["to_type"])
        method = request.method
        query = _query(request)
        handler = getattr(self, f"_{endpoint}")
        return handler(method, request, query, **args)

    # -- objects ---------------------------------------------------------------------------

    def _objects(self, method: str, request: Request, query: dict[str, Any],
                 object_type: str) -> Reply:
        if method == "GET":
            return self.objects.page(object_type, query)
        return self.objects.create(object_type, _body(request))

    def _object(self, method: str, request: Request, query: dict[str, Any], object_type: str,
                object_id: str) -> Reply:
        if method == "GET":
            return self.objects.read(object_type, object_id, query)
        if method == "PATCH":
            return self.objects.update(object_type, object_id, query, _body(request))
        return self.objects.archive(object_type, object_id)

    def _search(self, method: str, request: Request, query: dict[str, Any],
                object_type: str) -> Reply:
        return self.objects.search(object_type, _body(request))

    def _merge(self, method: str, request: Request, query: dict[str, Any],
               object_type: str) -> Reply:
        if object_type != "contacts":
            raise validation_error(f"Merging {object_type} is not supported")
        return self.objects.merge(object_type, _body(request))

    def _batch(self, method: str, request: Request, query: dict[str, Any], object_type: str,
               action: str) -> Reply:
        return self.objects.batch(object_type, action, query, _body(request))

    def _associations(self, method: str, request: Request, query: dict[str, Any],
                      object_type: str, object_id: str, to_type: str) -> Reply:
        return self.objects.associations_page(object_type, object_id, to_type, query)

    def _association_batch(self, method: str, request: Request, query: dict[str, Any],
                           object_type: str, to_type: str) -> Reply:
        return self.objects.associations_batch_read(object_type, to_type, _body(request))

    # -- properties ------------------------------------------------------------------------

    def _properties(self, method: str, request: Request, query: dict[str, Any],
                    object_type: str) -> Reply:
        catalog = self.portal.catalog
        if method == "GET":
            return props.list_properties(catalog, object_type, query["archived"])
        return self._changed(props.create_property(catalog, object_type, _body(request)))

    def _property(self, method: str, request: Request, query: dict[str, Any],
                  object_type: str, name: str) -> Reply:
        catalog = self.portal.catalog
        if method == "GET":
            return props.read_property(catalog, object_type, name)
        if method == "PATCH":
            return self._changed(props.update_property(catalog, object_type, name,
                                                       _body(request)))
        return self._changed(props.archive_property(catalog, object_type, name))

    def _groups(self, method: str, request: Request, query: dict[str, Any],
                object_type: str) -> Reply:
        if method == "GET":
            return props.list_groups(self.portal.catalog, object_type)
        return self._changed(props.create_group(self.portal.catalog, object_type,
                                                _body(request)))

    def _group(self, method: str, request: Request, query: dict[str, Any], object_type: str,
               name: str) -> Reply:
        catalog = self.portal.catalog
        if method == "GET":
            return props.read_group(catalog, object_type, name)
        if method == "PATCH":
            return self._changed(props.update_group(catalog, object_type, name, _body(request)))
        return self._changed(props.archive_group(catalog, object_type, name))

    # -- owners ----------------------------------------------------------------------------

    def _owners(self, method: str, request: Request, query: dict[str, Any]) -> Reply:
        owners: _owners.Owners = self.portal.owners
        return owners.page(query.get("email"), query.get("after"), query.get("limit"),
                           query["archived"])

    def _owner(self, method: str, request: Request, query: dict[str, Any],
               owner_id: str) -> Reply:
        return self.portal.owners.read(owner_id, query.get("idProperty"), query["archived"])

    # -- lists -----------------------------------------------------------------------------

    def _lists(self, method: str, request: Request, query: dict[str, Any]) -> Reply:
        if method == "GET":
            return self.portal.lists.read_many(request.args.getlist("listIds"))
        return self._changed(self.portal.lists.create(_body(request)))

    def _list_search(self, method: str, request: Request, query: dict[str, Any]) -> Reply:
        return self.portal.lists.search(_body(request))

    def _list_by_name(self, method: str, request: Request, query: dict[str, Any],
                      type_id: str, name: str) -> Reply:
        return self.portal.lists.read_by_name(type_id, name)

    def _record_lists(self, method: str, request: Request, query: dict[str, Any],
                      type_id: str, record_id: str) -> Reply:
        return self.portal.lists.of_record(type_id, record_id)

    def _list(self, method: str, request: Request, query: dict[str, Any], list_id: str) -> Reply:
        if method == "GET":
            return self.portal.lists.read(list_id)
        return self._changed(self.portal.lists.delete(list_id))

    def _list_restore(self, method: str, request: Request, query: dict[str, Any],
                      list_id: str) -> Reply:
        return self._changed(self.portal.lists.undelete(list_id))

    def _list_rename(self, method: str, request: Request, query: dict[str, Any],
                     list_id: str) -> Reply:
        return self._changed(self.portal.lists.rename(list_id, request.args.get("listName")))

    def _memberships(self, method: str, request: Request, query: dict[str, Any],
                     list_id: str) -> Reply:
        if method == "GET":
            return self.portal.lists.members(list_id, query.get("after"),
                                             request.args.get("before"), query.get("limit"))
        return self._changed(self.portal.lists.clear(list_id))

    def _membership_change(self, method: str, request: Request, query: dict[str, Any],
                           list_id: str, change: str) -> Reply:
        body = _body(request, expect=(dict, list))
        lists = self.portal.lists
        if change == "add":
            return self._changed(lists.change(list_id, body, []))
        if change == "remove":
            return self._changed(lists.change(list_id, [], body))
        if change == "add-and-remove" and isinstance(body, dict):
            return self._changed(lists.change(list_id, body.get("recordIdsToAdd") or [],
                                              body.get("recordIdsToRemove") or []))
        raise not_found()

    def _changed(self, reply: Reply) -> Reply:
        self.portal.touch()
        return reply


def object_type(name: str) -> str:
    canonical = schema.OBJECT_TYPE_ALIASES.get(name.lower())
    if canonical is None:
        raise validation_error(f"Unable to infer object type from: {name}")
    return canonical


def _query(request: Request) -> dict[str, Any]:
    args = request.args
    listed = {name: [v for value in args.getlist(name) for v in value.split(",") if v]
              for name in ("properties", "propertiesWithHistory", "associations")}
    single = {name: args.get(name) for name in ("limit", "after", "idProperty", "email")}
    return {**listed, **single, "archived": args.get("archived", "false").lower() == "true"}


def _body(request: Request, expect: tuple[type, ...] = (dict,)) -> Any:
    text = request.get_data(as_text=True)
    try:
        body = parse_json(text)
    except json.JSONDecodeError as error:
        raise validation_error(f"Invalid input JSON on line {error.lineno}, column "
                               f"{error.colno}: {error.msg}") from None
    if not isinstance(body, expect):
        raise validation_error("Invalid input JSON on line 1, column 1: Cannot deserialize the "
                               "request body into the expected shape")
    return body


def _http_error(error: HTTPException, request: Request) -> HubSpotError:
    if isinstance(error, MethodNotAllowed):
        return HubSpotError(405, "METHOD_NOT_ALLOWED",
                            f"HTTP method {request.method} is not supported by {request.path}")
    return not_found(f"No endpoint at {request.method} {request.path}")
