"""The standard objects of the sandbox org, with the fields, lengths and picklists describe shows.

Field lengths and flags follow the Object Reference for Salesforce (Lead.LastName 80,
Company 255, Email 80, Title 128, Phone 40, ...). Lead Status is a restricted picklist carrying
the org-specific values LeadSync works with, including a nurture value for recycled leads.
Group and GroupMember hold public groups and queues (Group.Name 40, DeveloperName 80);
permission sets and their field permissions and assignments are in ``permissions``.
"""

from __future__ import annotations

from typing import Any

from leadsync.sandbox.people import INDUSTRIES  # Salesforce's standard Industry picklist
from leadsync.sandbox.salesforce.permissions import permission_objects
from leadsync.sandbox.salesforce.schema import NAME_ENTITY, Field, SObjectType

LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Converted",
                 "Closed - Not Converted", "Recycled - Nurture")
CONVERTED_STATUS = "Closed - Converted"
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other",
                "Demo Request", "Webinar", "Trade Show")
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else",
                 "Deferred")
CLOSED_TASK_STATUSES = frozenset({"Completed"})
STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
          "Negotiation/Review", "Closed Won", "Closed Lost")
# Group.Type as describe lists it; public groups are "Regular", queues "Queue".
GROUP_TYPES = ("AllCustomerPortal", "CollaborationGroup", "Manager",
               "ManagerAndSubordinatesInternal", "Organization", "PRMOrganization", "Queue",
               "Regular", "Role", "RoleAndSubordinates", "RoleAndSubordinatesInternal",
               "SharingRuleGroup", "Territory", "TerritoryAndSubordinates")
TIME_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
              "America/Phoenix", "America/Toronto", "America/Sao_Paulo", "Europe/London",
              "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Asia/Kolkata", "Asia/Tokyo",
              "Asia/Singapore", "Australia/Sydney", "Pacific/Auckland", "GMT")


def _id() -> Field:
    return Field("Id", "Record ID", "id", length=18, nillable=False, createable=False,
                 updateable=False, id_lookup=True, defaulted_on_create=True)


def _text(name: str, label: str, length: int, kind: str = "string", **kw: Any) -> Field:
    return Field(name, label, kind, length=length, **kw)


def _bool(name: str, label: str, default: bool = False, **kw: Any) -> Field:
    return Field(name, label, "boolean", nillable=False, default=default,
                 defaulted_on_create=True, **kw)


def _ref(name: str, label: str, to: tuple[str, ...], relationship: str | None,
         **kw: Any) -> Field:
    return Field(name, label, "reference", length=18, reference_to=to,
                 relationship_name=relationship, **kw)


def _pick(name: str, label: str, values: tuple[str, ...], **kw: Any) -> Field:
    return Field(name, label, "picklist", length=255, picklist=values, **kw)


def _owner(children: str) -> Field:
    return _ref("OwnerId", "Owner ID", ("Group", "User"), "Owner", nillable=False,
                defaulted_on_create=True, child_relationship=children)


def _audit() -> list[Field]:
    ro: dict[str, Any] = {"createable": False, "updateable": False}
    return [
        Field("CreatedDate", "Created Date", "datetime", nillable=False, defaulted_on_create=True,
              **ro),
        _ref("CreatedById", "Created By ID", ("User",), "CreatedBy", nillable=False,
             defaulted_on_create=True, **ro),
        Field("LastModifiedDate", "Last Modified Date", "datetime", nillable=False,
              defaulted_on_create=True, **ro),
        _ref("LastModifiedById", "Last Modified By ID", ("User",), "LastModifiedBy",
             nillable=False, defaulted_on_create=True, **ro),
        Field("SystemModstamp", "System Modstamp", "datetime", nillable=False,
              defaulted_on_create=True, **ro),
    ]


def _deleted() -> Field:
    return _bool("IsDeleted", "Deleted", createable=False, updateable=False)


def _master(sobject: str) -> Field:
    return _ref("MasterRecordId", "Master Record ID", (sobject,), "MasterRecord",
                createable=False, updateable=False)


def _name(length: int = 121) -> Field:
    return Field("Name", "Full Name", "string", length=length, nillable=False, createable=False,
                 updateable=False, name_field=True, calculated=True, defaulted_on_create=True)


def _obj(name: str, label: str, plural: str, prefix: str, fields: list[Field],
         **kw: Any) -> SObjectType:
    return SObjectType(name, label, plural, prefix, {f.name: f for f in fields}, **kw)


def lead() -> SObjectType:
    ro: dict[str, Any] = {"createable": False, "updateable": False}
    return _obj("Lead", "Lead", "Leads", "00Q", [
        _id(), _deleted(), _master("Lead"),
        _text("LastName", "Last Name", 80, nillable=False),
        _text("FirstName", "First Name", 40),
        _pick("Salutation", "Salutation", ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")),
        _name(),
        _text("Title", "Title", 128),
        _text("Company", "Company", 255, nillable=False),
        _text("Street", "Street", 255, "textarea"),
        _text("City", "City", 40),
        _text("State", "State/Province", 80),
        _text("PostalCode", "Zip/Postal Code", 20),
        _text("Country", "Country", 80),
        _text("Phone", "Phone", 40, "phone"),
        _text("MobilePhone", "Mobile Phone", 40, "phone"),
        _text("Email", "Email", 80, "email", id_lookup=True),
        _text("Website", "Website", 255, "url"),
        _text("Description", "Description", 32000, "textarea"),
        _pick("LeadSource", "Lead Source", LEAD_SOURCES),
        _pick("Status", "Status", LEAD_STATUSES, nillable=False, default=LEAD_STATUSES[0],
              restricted=True, defaulted_on_create=True),
        _pick("Industry", "Industry", INDUSTRIES),
        _pick("Rating", "Rating", ("Hot", "Warm", "Cold")),
        Field("AnnualRevenue", "Annual Revenue", "currency", precision=18),
        Field("NumberOfEmployees", "Employees", "int", digits=8),
        _owner("Leads"),
        _bool("HasOptedOutOfEmail", "Email Opt Out"),
        Field("IsConverted", "Converted", "boolean", nillable=False, default=False,
              defaulted_on_create=True, updateable=False),
        Field("ConvertedDate", "Converted Date", "date", **ro),
        _ref("ConvertedAccountId", "Converted Account ID", ("Account",), "ConvertedAccount",
             **ro),
        _ref("ConvertedContactId", "Converted Contact ID", ("Contact",), "ConvertedContact",
             **ro),
        _ref("ConvertedOpportunityId", "Converted Opportunity ID", ("Opportunity",),
             "ConvertedOpportunity", **ro),
        _bool("IsUnreadByOwner", "Unread By Owner"),
        *_audit(),
        Field("LastActivityDate", "Last Activity", "date", **ro),
    ], mergeable=True)


def contact() -> SObjectType:
    return _obj("Contact", "Contact", "Contacts", "003", [
        _id(), _deleted(), _master("Contact"),
        _ref("AccountId", "Account ID", ("Account",), "Account", child_relationship="Contacts"),
        _text("LastName", "Last Name", 80, nillable=False),
        _text("FirstName", "First Name", 40),
        _pick("Salutation", "Salutation", ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")),
        _name(),
        _text("MailingStreet", "Mailing Street", 255, "textarea"),
        _text("MailingCity", "Mailing City", 40),
        _text("MailingState", "Mailing State/Province", 80),
        _text("MailingPostalCode", "Mailing Zip/Postal Code", 20),
        _text("MailingCountry", "Mailing Country", 80),
        _text("Phone", "Business Phone", 40, "phone"),
        _text("MobilePhone", "Mobile Phone", 40, "phone"),
        _text("Email", "Email", 80, "email", id_lookup=True),
        _text("Title", "Title", 128),
        _text("Department", "Department", 80),
        _pick("LeadSource", "Lead Source", LEAD_SOURCES),
        _text("Description", "Contact Description", 32000, "textarea"),
        _owner("Contacts"),
        _bool("HasOptedOutOfEmail", "Email Opt Out"),
        *_audit(),
        Field("LastActivityDate", "Last Activity", "date", createable=False, updateable=False),
    ], mergeable=True)


def account() -> SObjectType:
    return _obj("Account", "Account", "Accounts", "001", [
        _id(), _deleted(), _master("Account"),
        Field("Name", "Account Name", "string", length=255, nillable=False, name_field=True),
        _pick("Type", "Account Type", ("Prospect", "Customer - Direct", "Customer - Channel",
                                       "Channel Partner / Reseller", "Installation Partner",
                                       "Technology Partner", "Other")),
        _text("BillingStreet", "Billing Street", 255, "textarea"),
        _text("BillingCity", "Billing City", 40),
        _text("BillingState", "Billing State/Province", 80),
        _text("BillingPostalCode", "Billing Zip/Postal Code", 20),
        _text("BillingCountry", "Billing Country", 80),
        _text("Phone", "Account Phone", 40, "phone"),
        _text("Website", "Website", 255, "url"),
        _pick("Industry", "Industry", INDUSTRIES),
        Field("AnnualRevenue", "Annual Revenue", "currency", precision=18),
        Field("NumberOfEmployees", "Employees", "int", digits=8),
        _text("Description", "Account Description", 32000, "textarea"),
        _owner("Accounts"),
        *_audit(),
        Field("LastActivityDate", "Last Activity", "date", createable=False, updateable=False),
    ], mergeable=True)


def opportunity() -> SObjectType:
    return _obj("Opportunity", "Opportunity", "Opportunities", "006", [
        _id(), _deleted(),
        _ref("AccountId", "Account ID", ("Account",), "Account",
             child_relationship="Opportunities"),
        Field("Name", "Name", "string", length=120, nillable=False, name_field=True),
        _text("Description", "Description", 32000, "textarea"),
        _pick("StageName", "Stage", STAGES, nillable=False),
        Field("Amount", "Amount", "currency", precision=18, scale=2),
        Field("CloseDate", "Close Date", "date", nillable=False),
        _pick("LeadSource", "Lead Source", LEAD_SOURCES),
        _bool("IsClosed", "Closed", createable=False, updateable=False),
        _bool("IsWon", "Won", createable=False, updateable=False),
        _owner("Opportunities"),
        *_audit(),
    ])


def _activity_common(children: str) -> list[Field]:
    return [
        _ref("WhoId", "Name ID", ("Contact", "Lead"), "Who", child_relationship=children),
        _ref("WhatId", "Related To ID", ("Account", "Opportunity"), "What",
             child_relationship=children),
        Field("Subject", "Subject", "combobox", length=255,
              picklist=("Call", "Send Letter", "Send Quote", "Other")),
    ]


def task() -> SObjectType:
    ro: dict[str, Any] = {"createable": False, "updateable": False}
    return _obj("Task", "Task", "Tasks", "00T", [
        _id(), *_activity_common("Tasks"),
        Field("ActivityDate", "Due Date Only", "date"),
        _pick("Status", "Status", TASK_STATUSES, nillable=False, default="Not Started",
              defaulted_on_create=True),
        _pick("Priority", "Priority", ("High", "Normal", "Low"), nillable=False,
              default="Normal", defaulted_on_create=True),
        _owner("Tasks"),
        _text("Description", "Description", 32000, "textarea"),
        _pick("Type", "Type", ("Call", "Email", "Meeting", "Other")),
        _deleted(),
        _bool("IsClosed", "Closed", calculated=True, **ro),
        Field("CompletedDateTime", "Completed Date/Time", "datetime", **ro),
        _pick("TaskSubtype", "Task Subtype",
              ("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"),
              defaulted_on_create=True, updateable=False),
        Field("CallDurationInSeconds", "Call Duration", "int", digits=8),
        _pick("CallType", "Call Type", ("Internal", "Inbound", "Outbound")),
        _text("CallDisposition", "Call Result", 255),
        *_audit(),
    ])


def event() -> SObjectType:
    return _obj("Event", "Event", "Events", "00U", [
        _id(), *_activity_common("Events"),
        _text("Location", "Location", 255),
        _bool("IsAllDayEvent", "All-Day Event"),
        Field("ActivityDateTime", "Due Date Time", "datetime"),
        Field("ActivityDate", "Due Date Only", "date"),
        Field("DurationInMinutes", "Duration", "int", digits=8),
        Field("StartDateTime", "Start Date Time", "datetime"),
        Field("EndDateTime", "End Date Time", "datetime"),
        _text("Description", "Description", 32000, "textarea"),
        _owner("Events"),
        _pick("Type", "Type", ("Call", "Email", "Meeting", "Other")),
        _deleted(),
        _pick("EventSubtype", "Event Subtype", ("Event",), defaulted_on_create=True,
              updateable=False),
        *_audit(),
    ])


def user() -> SObjectType:
    return _obj("User", "User", "Users", "005", [
        _id(),
        Field("Username", "Username", "string", length=80, nillable=False, unique=True,
              id_lookup=True),
        _text("LastName", "Last Name", 80, nillable=False),
        _text("FirstName", "First Name", 40),
        Field("Name", "Full Name", "string", length=121, nillable=False, createable=False,
              updateable=False, name_field=True, calculated=True, defaulted_on_create=True),
        _text("Title", "Title", 80),
        _text("Department", "Department", 80),
        _text("Email", "Email", 128, "email", nillable=False),
        _text("Phone", "Phone", 40, "phone"),
        _text("Alias", "Alias", 8, nillable=False, defaulted_on_create=True),
        _bool("IsActive", "Active", default=True),
        _pick("TimeZoneSidKey", "Time Zone", TIME_ZONES, nillable=False),
        _ref("ManagerId", "Manager ID", ("User",), "Manager"),
        *_audit(),
    ], deletable=False)


def group() -> SObjectType:
    """Public groups and queues (a queue is a Group whose Type is Queue)."""
    ro: dict[str, Any] = {"createable": False, "updateable": False}
    return _obj("Group", "Group", "Groups", "00G", [
        _id(),
        Field("Name", "Name", "string", length=40, nillable=False, name_field=True),
        _text("DeveloperName", "Developer Name", 80, defaulted_on_create=True),
        _pick("Type", "Type", GROUP_TYPES, nillable=False, default="Regular", restricted=True,
              defaulted_on_create=True, updateable=False),
        _text("Email", "Email", 255, "email"),
        _ref("OwnerId", "Owner ID", ("User",), "Owner", nillable=False,
             defaulted_on_create=True, **ro),
        _bool("DoesSendEmailToMembers", "Send Email to Members"),
        _bool("DoesIncludeBosses", "Include Bosses", default=True),
        *_audit(),
    ])


def group_member() -> SObjectType:
    """A direct member (a User or another Group) of a public group or queue."""
    return _obj("GroupMember", "Group Member", "Group Members", "011", [
        _id(),
        _ref("GroupId", "Group ID", ("Group",), "Group", nillable=False, updateable=False,
             child_relationship="GroupMembers"),
        _ref("UserOrGroupId", "User/Group ID", ("Group", "User"), "UserOrGroup",
             nillable=False, updateable=False),
        Field("SystemModstamp", "System Modstamp", "datetime", nillable=False,
              defaulted_on_create=True, createable=False, updateable=False),
    ], updateable=False)


def name_entity() -> SObjectType:
    """What a polymorphic relationship (Owner, Who, What) exposes: the ``Name`` entity."""
    ro: dict[str, Any] = {"createable": False, "updateable": False}
    return _obj(NAME_ENTITY, "Name", "Names", "", [
        Field("Id", "Record ID", "id", length=18, nillable=False, **ro),
        Field("Name", "Name", "string", length=255, **ro),
        Field("FirstName", "First Name", "string", length=40, **ro),
        Field("LastName", "Last Name", "string", length=80, **ro),
        Field("Email", "Email", "email", length=80, **ro),
        Field("Phone", "Phone", "phone", length=40, **ro),
        Field("Title", "Title", "string", length=80, **ro),
        Field("Username", "Username", "string", length=80, **ro),
        Field("IsActive", "Active", "boolean", **ro),
        Field("Type", "Object Type", "picklist", length=255, **ro),
    ], createable=False, updateable=False, deletable=False)


def standard_objects() -> dict[str, SObjectType]:
    """A fresh copy of every standard object, keyed by API name."""
    objects = [lead(), contact(), account(), opportunity(), task(), event(), user(), group(),
               group_member()]
    return {**{o.name: o for o in objects}, **permission_objects()}
