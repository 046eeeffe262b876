"""A minimal SOAP partner endpoint (``POST /services/Soap/u/XX.X``): convertLead() and merge().

Salesforce offers lead conversion and record merging only through the SOAP API. The session
comes from ``<SessionHeader><sessionId>`` (a Bearer header is accepted too); each call counts
against the daily allowance. Results follow the partner WSDL (LeadConvertResult, MergeResult,
with per-record ``errors``); call-level failures are SOAP faults, HTTP 500, with
``sf:EXCEPTION_CODE`` and an ``UnexpectedErrorFault`` detail.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from werkzeug.wrappers import Request, Response

from leadsync.sandbox.salesforce import ids
from leadsync.sandbox.salesforce.errors import ApiError, RecordError, RecordRefused
from leadsync.sandbox.salesforce.limits import LIMIT_EXCEEDED
from leadsync.sandbox.salesforce.standard import CONVERTED_STATUS
from leadsync.sandbox.salesforce.validation import read_body

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.org import SalesforceOrg

log = logging.getLogger(__name__)
ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER_NS = "urn:partner.soap.sforce.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MAX_CONVERTS = 100
MAX_MERGES = 200
MERGEABLE = ("Lead", "Contact", "Account")
CONVERTED_STATUSES = frozenset({CONVERTED_STATUS})


class Fault(Exception):
    def __init__(self, code: str, message: str, client: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.client = code, message, client


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def _text(element: ET.Element, name: str) -> str | None:
    found = _children(element, name)
    text = found[0].text if found else None
    return text.strip() if text and text.strip() else None


def _envelope(body: str, org: SalesforceOrg) -> str:
    usage = org.usage
    header = (f"<soapenv:Header><LimitInfoHeader><limitInfo><current>{usage.used}</current>"
              f"<limit>{usage.maximum}</limit><type>API REQUESTS</type></limitInfo>"
              "</LimitInfoHeader></soapenv:Header>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
            f'"{ENVELOPE_NS}" xmlns="{PARTNER_NS}" xmlns:xsi="{XSI_NS}">{header}'
            f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>")


def fault_response(fault: Fault) -> Response:
    code = "soapenv:Client" if fault.client else f"sf:{fault.code}"
    detail = "" if fault.client else (
        '<detail><sf:UnexpectedErrorFault xsi:type="sf:UnexpectedErrorFault">'
        f"<sf:exceptionCode>{fault.code}</sf:exceptionCode>"
        f"<sf:exceptionMessage>{escape(fault.message)}</sf:exceptionMessage>"
        "</sf:UnexpectedErrorFault></detail>")
    string = fault.message if fault.client else f"{fault.code}: {fault.message}"
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
           f'"{ENVELOPE_NS}" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="{XSI_NS}">'
           f"<soapenv:Body><soapenv:Fault><faultcode>{code}</faultcode>"
           f"<faultstring>{escape(string)}</faultstring>{detail}</soapenv:Fault>"
           "</soapenv:Body></soapenv:Envelope>")
    return Response(xml, status=500, content_type="text/xml; charset=utf-8")


def handle(org: SalesforceOrg, request: Request) -> Response:
    try:
        if request.method != "POST":
            raise Fault("", "Only POST is supported by the SOAP endpoint", client=True)
        try:
            root = ET.fromstring(request.get_data())
        except ET.ParseError as error:
            raise Fault("", f"Unable to parse the request: {error}", client=True) from None
        header = next((c for c in root if _local(c.tag) == "Header"), None)
        body = next((c for c in root if _local(c.tag) == "Body"), None)
        session = None
        if header is not None:
            session = next((e.text for e in header.iter() if _local(e.tag) == "sessionId"), None)
        if session is None:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            session = token if scheme.lower() in ("bearer", "oauth") else None
        if (session or "").strip() != org.session_id:
            raise Fault("INVALID_SESSION_ID",
                        "Invalid Session ID found in SessionHeader: Illegal Session")
        if not org.usage.take():
            raise Fault("REQUEST_LIMIT_EXCEEDED", LIMIT_EXCEEDED)
        call = next(iter(body), None) if body is not None else None
        operation = _local(call.tag) if call is not None else ""
        if call is None or operation not in OPERATIONS:
            raise Fault("", f"No operation available for request {{{PARTNER_NS}}}{operation}, "
                        "please check the WSDL for the service.", client=True)
        try:
            results = OPERATIONS[operation](org, call)
        except Exception:
            log.exception("Salesforce sandbox SOAP %s failed", operation)
            raise Fault("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include "
                        "this ErrorId if you contact support: sandbox") from None
    except Fault as fault:
        return fault_response(fault)
    xml = f"<{operation}Response>{''.join(results)}</{operation}Response>"
    return Response(_envelope(xml, org), content_type="text/xml; charset=utf-8")


def _result(fields: list[tuple[str, Any]], errors: list[RecordError]) -> str:
    """One ``<result>`` with its elements in WSDL order; ``errors`` go where the WSDL puts them."""
    parts: list[str] = []
    for name, value in fields:
        if name == "errors":
            parts.extend(_error(e) for e in errors)
        elif isinstance(value, list):
            parts.extend(f"<{name}>{escape(v)}</{name}>" for v in value)
        elif value is None:
            parts.append(f'<{name} xsi:nil="true"/>')
        elif isinstance(value, bool):
            parts.append(f"<{name}>{str(value).lower()}</{name}>")
        else:
            parts.append(f"<{name}>{escape(str(value))}</{name}>")
    return f"<result>{''.join(parts)}</result>"


def _error(e: RecordError) -> str:
    fields = "".join(f"<fields>{escape(f)}</fields>" for f in e.fields)
    return (f"<errors>{fields}<message>{escape(e.message)}</message>"
            f"<statusCode>{e.status_code}</statusCode></errors>")


def _live(org: SalesforceOrg, record_id: str | None, sobject: str) -> dict[str, Any]:
    found = org.locate(record_id) if record_id else None
    if record_id is None or ids.to_18(record_id) is None:
        raise RecordRefused([RecordError("MALFORMED_ID", f"malformed id {record_id}")])
    if found is None or found[0] != sobject:
        raise RecordRefused([RecordError("INVALID_CROSS_REFERENCE_KEY",
                                         "invalid cross reference id")])
    if found[1].get("IsDeleted"):
        raise RecordRefused([RecordError("ENTITY_IS_DELETED", "entity is deleted")])
    return found[1]


# -- convertLead ----------------------------------------------------------------------------


def convert_lead(org: SalesforceOrg, call: ET.Element) -> list[str]:
    converts = _children(call, "leadConverts")
    if len(converts) > MAX_CONVERTS:
        raise Fault("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than "
                    f"{MAX_CONVERTS} records into this call")
    out = []
    for element in converts:
        ids_out: dict[str, str | None] = {}
        errors: list[RecordError] = []
        try:
            with org.savepoint():
                ids_out = _convert_one(org, element)
        except RecordRefused as refused:
            errors = refused.errors
        out.append(_result([("accountId", ids_out.get("accountId")),
                            ("contactId", ids_out.get("contactId")), ("errors", None),
                            ("leadId", ids_out.get("leadId")),
                            ("opportunityId", ids_out.get("opportunityId")),
                            ("success", not errors)], errors))
    return out


def _convert_one(org: SalesforceOrg, element: ET.Element) -> dict[str, str | None]:
    lead = _live(org, _text(element, "leadId"), "Lead")
    if lead.get("IsConverted"):
        raise RecordRefused([RecordError("CANNOT_UPDATE_CONVERTED_LEAD",
                                         "cannot reference converted lead")])
    status = _text(element, "convertedStatus")
    if status not in CONVERTED_STATUSES:
        raise RecordRefused([RecordError("INVALID_STATUS", f"invalid convertedStatus: {status}")])
    owner = _text(element, "ownerId") or lead["OwnerId"]
    account_id = _text(element, "accountId")
    if account_id:
        account_id = _live(org, account_id, "Account")["Id"]
    else:
        account_id = org.create("Account", {
            "Name": lead["Company"], "OwnerId": owner, "BillingCountry": lead.get("Country"),
            "BillingState": lead.get("State"), "BillingCity": lead.get("City"),
            "Industry": lead.get("Industry"), "Phone": lead.get("Phone")})
    contact_id = _text(element, "contactId")
    if contact_id:
        contact_id = _live(org, contact_id, "Contact")["Id"]
    else:
        contact_id = org.create("Contact", {
            "FirstName": lead.get("FirstName"), "LastName": lead["LastName"],
            "Email": lead.get("Email"), "Phone": lead.get("Phone"), "Title": lead.get("Title"),
            "MobilePhone": lead.get("MobilePhone"), "LeadSource": lead.get("LeadSource"),
            "MailingCountry": lead.get("Country"), "MailingState": lead.get("State"),
            "MailingCity": lead.get("City"), "AccountId": account_id, "OwnerId": owner})
    opportunity_id = None
    if (_text(element, "doNotCreateOpportunity") or "false").lower() != "true":
        opportunity_id = org.create("Opportunity", {
            "Name": _text(element, "opportunityName") or f"{lead['Company']}-",
            "AccountId": account_id, "StageName": "Prospecting", "OwnerId": owner,
            "CloseDate": (date.today() + timedelta(days=30)).isoformat(),
            "LeadSource": lead.get("LeadSource")})
    org.write_system("Lead", lead["Id"], {
        "IsConverted": True, "Status": status, "ConvertedDate": datetime.now(UTC).date()
        .isoformat(), "ConvertedAccountId": account_id, "ConvertedContactId": contact_id,
        "ConvertedOpportunityId": opportunity_id})
    for activity in ("Task", "Event"):
        for record in list(org.records[activity].values()):
            if record.get("WhoId") == lead["Id"] and not record.get("IsDeleted"):
                org.write_system(activity, record["Id"], {
                    "WhoId": contact_id, "WhatId": record.get("WhatId") or opportunity_id
                    or account_id})
    return {"accountId": account_id, "contactId": contact_id, "leadId": lead["Id"],
            "opportunityId": opportunity_id}


# -- merge ----------------------------------------------------------------------------------


def merge(org: SalesforceOrg, call: ET.Element) -> list[str]:
    requests = _children(call, "request")
    if len(requests) > MAX_MERGES:
        raise Fault("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than "
                    f"{MAX_MERGES} records into this call")
    out = []
    for element in requests:
        outcome: dict[str, Any] = {}
        errors: list[RecordError] = []
        try:
            with org.savepoint():
                outcome = _merge_one(org, element)
        except RecordRefused as refused:
            errors = refused.errors
        out.append(_result([("errors", None), ("id", outcome.get("id")),
                            ("mergedRecordIds", outcome.get("merged", [])),
                            ("success", not errors),
                            ("updatedRelatedIds", outcome.get("related", []))], errors))
    return out


def _merge_one(org: SalesforceOrg, element: ET.Element) -> dict[str, Any]:
    masters = _children(element, "masterRecord")
    if not masters:
        raise RecordRefused([RecordError("MISSING_ARGUMENT", "masterRecord not specified")])
    master_el = masters[0]
    xsi_type = master_el.get(f"{{{XSI_NS}}}type", "").rsplit(":", 1)[-1]
    sobject = _text(master_el, "type") or xsi_type
    if sobject not in MERGEABLE:
        raise RecordRefused([RecordError("INVALID_TYPE", f"Cannot merge records of type "
                                         f"{sobject}; merge supports Lead, Contact and Account")])
    master = _live(org, _text(master_el, "Id"), sobject)
    victims = [(c.text or "").strip() for c in _children(element, "recordToMergeIds")]
    if not victims:
        raise RecordRefused([RecordError("MISSING_ARGUMENT", "recordToMergeIds not specified")])
    if len(victims) > 2:
        raise RecordRefused([RecordError("LIMIT_EXCEEDED", "Too many records to merge: a "
                                         "merge combines at most 3 records")])
    losers = [_live(org, v, sobject) for v in victims]
    if any(loser["Id"] == master["Id"] for loser in losers):
        raise RecordRefused([RecordError("INVALID_ID_FIELD",
                                         "Cannot merge a record with itself")])
    values = _master_values(org, sobject, master_el)
    if values:
        org.update(sobject, master["Id"], values)
    related = _reparent(org, sobject, [loser["Id"] for loser in losers], master["Id"])
    for loser in losers:
        org.delete(sobject, loser["Id"], master_id=master["Id"])
    org.write_system(sobject, master["Id"], {})
    return {"id": master["Id"], "merged": [loser["Id"] for loser in losers], "related": related}


def _master_values(org: SalesforceOrg, sobject: str, master_el: ET.Element) -> dict[str, Any]:
    """Fields the merge request sets on the master, as an update would read them."""
    given: dict[str, Any] = {}
    for child in master_el:
        name = _local(child.tag)
        if name in ("type", "Id"):
            continue
        if name == "fieldsToNull":
            given[(child.text or "").strip()] = None
        else:
            given[name] = child.text or ""
    try:
        return read_body(org.objects[sobject], given, "", insert=False)[0]
    except ApiError as error:
        raise RecordRefused([RecordError(error.error_code, error.message)]) from None


def _reparent(org: SalesforceOrg, sobject: str, losers: list[str], master_id: str) -> list[str]:
    """Point the losers' children at the master; the ids of the children moved."""
    moves = {"Lead": [("Task", "WhoId"), ("Event", "WhoId")],
             "Contact": [("Task", "WhoId"), ("Event", "WhoId")],
             "Account": [("Contact", "AccountId"), ("Opportunity", "AccountId"),
                         ("Task", "WhatId"), ("Event", "WhatId")]}[sobject]
    moved = []
    for child_type, field in moves:
        for record in list(org.records[child_type].values()):
            if record.get(field) in losers and not record.get("IsDeleted"):
                org.write_system(child_type, record["Id"], {field: master_id})
                moved.append(record["Id"])
    return moved


OPERATIONS = {"convertLead": convert_lead, "merge": merge}
