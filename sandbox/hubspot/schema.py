"""The portal's built-in property groups and properties for contacts, calls, emails and tasks.

Names, types and option values are HubSpot's internal ones, as its property documentation lists
them. Each property is written compactly here and expanded into the ``Property`` model the
properties API returns (``name, label, type, fieldType, groupName, description, options, ...``).
"""

from __future__ import annotations

from typing import Any

OBJECT_TYPES = ("contacts", "calls", "emails", "tasks")

# Everything a request may call an object type, mapped to the name used here.
OBJECT_TYPE_ALIASES = {
    "contacts": "contacts", "contact": "contacts", "0-1": "contacts",
    "calls": "calls", "call": "calls", "0-48": "calls",
    "emails": "emails", "email": "emails", "0-49": "emails",
    "tasks": "tasks", "task": "tasks", "0-27": "tasks",
}
OBJECT_TYPE_IDS = {"contacts": "0-1", "calls": "0-48", "emails": "0-49", "tasks": "0-27"}

# Properties returned when a read names none.
DEFAULT_PROPERTIES = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate",
                 "lastname"),
    "calls": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "emails": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "tasks": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
}
# Maintained by the portal on every write.
CREATED_PROPERTY = {"contacts": "createdate", "calls": "hs_createdate", "emails": "hs_createdate",
                    "tasks": "hs_createdate"}
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "calls": "hs_lastmodifieddate",
                     "emails": "hs_lastmodifieddate", "tasks": "hs_lastmodifieddate"}
# Searched by a search request's free-text ``query``.
QUERY_PROPERTIES = {
    "contacts": ("firstname", "lastname", "email", "hs_additional_emails", "phone", "mobilephone",
                 "company"),
    "calls": ("hs_call_title", "hs_call_body"),
    "emails": ("hs_email_subject", "hs_email_text"),
    "tasks": ("hs_task_subject", "hs_task_body"),
}
# Properties that must be given when a record is created.
REQUIRED_ON_CREATE = {"contacts": (), "calls": ("hs_timestamp",), "emails": ("hs_timestamp",),
                      "tasks": ("hs_timestamp",)}

LIFECYCLE_STAGES = (
    ("subscriber", "Subscriber"), ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"), ("opportunity", "Opportunity"),
    ("customer", "Customer"), ("evangelist", "Evangelist"), ("other", "Other"),
)
# "Original Source": set by HubSpot's tracking, read-only through the API.
ANALYTICS_SOURCES = (("ORGANIC_SEARCH", "Organic Search"), ("PAID_SEARCH", "Paid Search"),
                     ("EMAIL_MARKETING", "Email Marketing"), ("SOCIAL_MEDIA", "Organic Social"),
                     ("REFERRALS", "Referrals"), ("OTHER_CAMPAIGNS", "Other Campaigns"),
                     ("DIRECT_TRAFFIC", "Direct Traffic"), ("OFFLINE", "Offline Sources"),
                     ("PAID_SOCIAL", "Paid Social"))

# "Number of Employees" on contacts is a range picker in HubSpot.
EMPLOYEE_RANGES = (("1-5", "1-5"), ("5-25", "5-25"), ("25-50", "25-50"), ("50-100", "50-100"),
                   ("100-500", "100-500"), ("500-1000", "500-1000"), ("1000+", "1000+"))

LEAD_STATUSES = (
    ("NEW", "New"), ("OPEN", "Open"), ("IN_PROGRESS", "In Progress"), ("OPEN_DEAL", "Open Deal"),
    ("UNQUALIFIED", "Unqualified"), ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
    ("CONNECTED", "Connected"), ("BAD_TIMING", "Bad Timing"),
)
CALL_STATUSES = tuple((v, v.replace("_", " ").title()) for v in (
    "BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED", "CONNECTING", "FAILED", "IN_PROGRESS",
    "NO_ANSWER", "QUEUED", "RINGING"))
CALL_DIRECTIONS = (("INBOUND", "Inbound"), ("OUTBOUND", "Outbound"))
EMAIL_DIRECTIONS = (("EMAIL", "Email sent from CRM"), ("INCOMING_EMAIL", "Reply"),
                    ("FORWARDED_EMAIL", "Forwarded"))
EMAIL_STATUSES = (("BOUNCED", "Bounced"), ("FAILED", "Failed"), ("SCHEDULED", "Scheduled"),
                  ("SENDING", "Sending"), ("SENT", "Sent"))
TASK_STATUSES = (("NOT_STARTED", "Not started"), ("IN_PROGRESS", "In progress"),
                 ("WAITING", "Waiting"), ("COMPLETED", "Completed"), ("DEFERRED", "Deferred"))
TASK_PRIORITIES = (("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High"), ("NONE", "None"))
TASK_TYPES = (("EMAIL", "Email"), ("CALL", "Call"), ("TODO", "To-do"))

GROUPS = {
    "contacts": (("contactinformation", "Contact information"),
                 ("sales_properties", "Sales properties"),
                 ("emailinformation", "Email information"),
                 ("conversioninformation", "Conversion information"),
                 ("analyticsinformation", "Web analytics history")),
    "calls": (("call", "Call information"),),
    "emails": (("email", "Email information"),),
    "tasks": (("task", "Task information"),),
}

# name, label, type, fieldType, groupName, flags ("ro": read-only value), options
_Spec = tuple[str, str, str, str, str, str, tuple[tuple[str, str], ...]]

_CONTACT: tuple[_Spec, ...] = (
    ("email", "Email", "string", "text", "contactinformation", "", ()),
    ("firstname", "First Name", "string", "text", "contactinformation", "", ()),
    ("lastname", "Last Name", "string", "text", "contactinformation", "", ()),
    ("company", "Company Name", "string", "text", "contactinformation", "", ()),
    ("jobtitle", "Job Title", "string", "text", "contactinformation", "", ()),
    ("phone", "Phone Number", "string", "phonenumber", "contactinformation", "", ()),
    ("mobilephone", "Mobile Phone Number", "string", "phonenumber", "contactinformation", "", ()),
    ("website", "Website URL", "string", "text", "contactinformation", "", ()),
    ("address", "Street Address", "string", "text", "contactinformation", "", ()),
    ("city", "City", "string", "text", "contactinformation", "", ()),
    ("state", "State/Region", "string", "text", "contactinformation", "", ()),
    ("zip", "Postal Code", "string", "text", "contactinformation", "", ()),
    ("country", "Country/Region", "string", "text", "contactinformation", "", ()),
    ("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation", "",
     LIFECYCLE_STAGES),
    ("hs_lead_status", "Lead Status", "enumeration", "radio", "sales_properties", "",
     LEAD_STATUSES),
    ("hubspot_owner_id", "Contact owner", "enumeration", "select", "sales_properties", "owner",
     ()),
    ("hs_analytics_source", "Original Source", "enumeration", "select", "contactinformation",
     "ro", ANALYTICS_SOURCES),
    # the campaign's name, as the contact record shows it; set by HubSpot's attribution
    ("hs_analytics_first_touch_converting_campaign", "First touch converting campaign",
     "string", "text", "analyticsinformation", "ro", ()),
    ("industry", "Industry", "string", "text", "contactinformation", "", ()),
    ("numemployees", "Number of Employees", "enumeration", "select", "contactinformation", "",
     EMPLOYEE_RANGES),
    ("hubspotscore", "HubSpot Score", "number", "number", "contactinformation", "ro", ()),
    ("notes_last_updated", "Last Activity Date", "datetime", "date", "sales_properties", "ro",
     ()),
    ("recent_conversion_date", "Recent Conversion Date", "datetime", "date",
     "conversioninformation", "ro", ()),
    ("hubspot_owner_assigneddate", "Owner Assigned Date", "datetime", "date", "sales_properties",
     "ro", ()),
    ("hs_additional_emails", "Additional email addresses", "enumeration", "checkbox",
     "emailinformation", "ro", ()),
    ("hs_merged_object_ids", "Merged Contact IDs", "enumeration", "checkbox",
     "contactinformation", "ro", ()),
    ("createdate", "Create Date", "datetime", "date", "contactinformation", "", ()),
    ("lastmodifieddate", "Last Modified Date", "datetime", "date", "contactinformation", "ro",
     ()),
    ("hs_object_id", "Record ID", "number", "number", "contactinformation", "ro", ()),
)
_CALL: tuple[_Spec, ...] = (
    ("hs_timestamp", "Activity date", "datetime", "date", "call", "", ()),
    ("hs_call_title", "Call Title", "string", "text", "call", "", ()),
    ("hs_call_body", "Call notes", "string", "html", "call", "", ()),
    ("hs_call_status", "Call status", "enumeration", "select", "call", "", CALL_STATUSES),
    ("hs_call_direction", "Call direction", "enumeration", "select", "call", "",
     CALL_DIRECTIONS),
    ("hs_call_duration", "Call duration", "number", "number", "call", "", ()),
    ("hs_call_disposition", "Call outcome", "string", "text", "call", "", ()),
    ("hubspot_owner_id", "Activity assigned to", "enumeration", "select", "call", "owner", ()),
    ("hs_createdate", "Created at", "datetime", "date", "call", "ro", ()),
    ("hs_lastmodifieddate", "Last modified date", "datetime", "date", "call", "ro", ()),
    ("hs_object_id", "Record ID", "number", "number", "call", "ro", ()),
)
_EMAIL: tuple[_Spec, ...] = (
    ("hs_timestamp", "Activity date", "datetime", "date", "email", "", ()),
    ("hs_email_direction", "Email direction", "enumeration", "select", "email", "",
     EMAIL_DIRECTIONS),
    ("hs_email_subject", "Email subject", "string", "text", "email", "", ()),
    ("hs_email_text", "Email body", "string", "textarea", "email", "", ()),
    ("hs_email_html", "Email HTML body", "string", "html", "email", "", ()),
    ("hs_email_status", "Email send status", "enumeration", "select", "email", "",
     EMAIL_STATUSES),
    ("hubspot_owner_id", "Activity assigned to", "enumeration", "select", "email", "owner", ()),
    ("hs_createdate", "Created at", "datetime", "date", "email", "ro", ()),
    ("hs_lastmodifieddate", "Last modified date", "datetime", "date", "email", "ro", ()),
    ("hs_object_id", "Record ID", "number", "number", "email", "ro", ()),
)
_TASK: tuple[_Spec, ...] = (
    ("hs_timestamp", "Due date", "datetime", "date", "task", "", ()),
    ("hs_task_subject", "Task Title", "string", "text", "task", "", ()),
    ("hs_task_body", "Notes", "string", "html", "task", "", ()),
    ("hs_task_status", "Task Status", "enumeration", "select", "task", "", TASK_STATUSES),
    ("hs_task_priority", "Priority", "enumeration", "select", "task", "", TASK_PRIORITIES),
    ("hs_task_type", "Task Type", "enumeration", "select", "task", "", TASK_TYPES),
    ("hubspot_owner_id", "Assigned to", "enumeration", "select", "task", "owner", ()),
    ("hs_createdate", "Created at", "datetime", "date", "task", "ro", ()),
    ("hs_lastmodifieddate", "Last modified date", "datetime", "date", "task", "ro", ()),
    ("hs_object_id", "Record ID", "number", "number", "task", "ro", ()),
)
_SPECS = {"contacts": _CONTACT, "calls": _CALL, "emails": _EMAIL, "tasks": _TASK}


def options(pairs: tuple[tuple[str, str], ...] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Option models, from (value, label) pairs or from option inputs as a request gives them."""
    result = []
    for order, item in enumerate(pairs):
        if isinstance(item, dict):
            result.append({"label": str(item.get("label", item.get("value", ""))),
                           "value": str(item.get("value", "")),
                           "description": str(item.get("description", "")),
                           "displayOrder": int(item.get("displayOrder", order)),
                           "hidden": bool(item.get("hidden", False))})
        else:
            value, label = item
            result.append({"label": label, "value": value, "description": "",
                           "displayOrder": order, "hidden": False})
    return result


def property_model(name: str, label: str, type_: str, field_type: str, group: str, *,
                   at: str, options_: list[dict[str, Any]] | None = None, description: str = "",
                   read_only: bool = False, hubspot_defined: bool = True,
                   unique: bool = False, referenced: str | None = None,
                   display_order: int = -1) -> dict[str, Any]:
    model: dict[str, Any] = {
        "name": name, "label": label, "type": type_, "fieldType": field_type,
        "groupName": group, "description": description, "options": options_ or [],
        "displayOrder": display_order, "calculated": False,
        "externalOptions": referenced is not None, "hasUniqueValue": unique, "hidden": False,
        "formField": not read_only and type_ != "datetime",
        "modificationMetadata": {"archivable": not hubspot_defined,
                                 "readOnlyDefinition": hubspot_defined,
                                 "readOnlyValue": read_only},
        "createdAt": at, "updatedAt": at, "archived": False,
    }
    if hubspot_defined:
        model["hubspotDefined"] = True
    if referenced:
        model["referencedObjectType"] = referenced
    return model


def built_in_properties(object_type: str, at: str) -> dict[str, dict[str, Any]]:
    result = {}
    for name, label, type_, field_type, group, flags, pairs in _SPECS[object_type]:
        result[name] = property_model(
            name, label, type_, field_type, group, at=at, options_=options(pairs),
            read_only=flags == "ro", referenced="OWNER" if flags == "owner" else None)
    return result


def built_in_groups(object_type: str) -> dict[str, dict[str, Any]]:
    return {name: {"name": name, "label": label, "displayOrder": order, "archived": False}
            for order, (name, label) in enumerate(GROUPS[object_type])}
