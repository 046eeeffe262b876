"""Helpers for the Salesforce emulator tests: refusals, SOAP envelopes, custom fields, bulk data.

Most test modules share one org per module (``module_sandbox``): each test writes its own
records, tagged with a unique company, and reads back only those, so the tests stay independent
without starting a server per test.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from leadsync.adapters.transport import ca_session
from leadsync.sandbox.server import Sandbox

API = "/services/data/v59.0"
SOAP_NS = {"soapenv": "http://schemas.xmlsoap.org/soap/envelope/",
           "p": "urn:partner.soap.sforce.com", "sf": "urn:fault.partner.soap.sforce.com"}
DATETIME_PATTERN = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000"


def module_sandbox() -> Iterator[Sandbox]:
    sandbox = Sandbox().start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def tag() -> str:
    """A company name no other test uses."""
    return f"Co-{uuid.uuid4().hex[:12]}"


def refusal(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[int, Any]:
    """The status and parsed body of the error simple-salesforce raises for ``call``."""
    with pytest.raises(SalesforceError) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.content


def base_url(sandbox: Sandbox) -> str:
    return sandbox.info["salesforce"]["instance_url"] + API


def new_lead(sf: Salesforce, company: str, **fields: Any) -> str:
    return sf.Lead.create({"LastName": "Lovelace", "Company": company, **fields})["id"]


def add_field(sf: Salesforce, full_name: str, **metadata: Any) -> Any:
    """Create a custom field through the Tooling API, as an admin script would."""
    return sf.toolingexecute("sobjects/CustomField/", method="POST",
                             data={"FullName": full_name, "Metadata": metadata})


def bulk_leads(sandbox: Sandbox, count: int, company: str) -> list[str]:
    """Put ``count`` leads straight into the org: the point of such tests is not the writes."""
    org = sandbox.salesforce
    with org.lock:
        return [org.insert_raw("Lead", {"LastName": f"Bulk {i:05d}", "Company": company})
                for i in range(count)]


def envelope(body: str, session_id: str | None) -> str:
    header = "" if session_id is None else (
        f"<soapenv:Header><urn:SessionHeader><urn:sessionId>{session_id}</urn:sessionId>"
        "</urn:SessionHeader></soapenv:Header>")
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:urn="urn:partner.soap.sforce.com" '
            'xmlns:urn1="urn:sobject.partner.soap.sforce.com">'
            f"{header}<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>")


def soap_call(sandbox: Sandbox, body: str, session_id: str | None = "",
              headers: dict[str, str] | None = None) -> tuple[int, ET.Element]:
    """POST a partner SOAP envelope; the session defaults to the org's own."""
    info = sandbox.info
    session = info["salesforce"]["session_id"] if session_id == "" else session_id
    http = ca_session(info["ca_bundle"])
    response: requests.Response = http.post(
        f"{info['salesforce']['instance_url']}/services/Soap/u/59.0",
        data=envelope(body, session).encode(), timeout=10,
        headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""',
                 **(headers or {})})
    return response.status_code, ET.fromstring(response.content)


def soap_results(root: ET.Element) -> list[dict[str, Any]]:
    """The ``<result>`` elements of a SOAP answer as dicts; repeated elements become lists."""
    out = []
    for result in root.iterfind(".//p:result", SOAP_NS):
        item: dict[str, Any] = {}
        for child in result:
            name = child.tag.rsplit("}", 1)[-1]
            if name == "errors":
                item.setdefault("errors", []).append(
                    {c.tag.rsplit("}", 1)[-1]: c.text for c in child})
            elif name in ("mergedRecordIds", "updatedRelatedIds"):
                item.setdefault(name, []).append(child.text)
            else:
                item[name] = child.text
        out.append(item)
    return out
