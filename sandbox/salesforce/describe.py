"""The JSON shapes of the describe resources: Describe Global, sObject Basic Information and
sObject Describe, with the properties the REST API documents for objects and fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadsync.sandbox.salesforce.schema import NUMBER_TYPES, STRING_TYPES, Field, SObjectType

SOAP_TYPES = {"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean",
              "int": "xsd:int", "double": "xsd:double", "currency": "xsd:double",
              "percent": "xsd:double", "date": "xsd:date", "datetime": "xsd:dateTime"}
UNSORTABLE = frozenset({"textarea", "multipicklist"})


def _urls(api_version: str, name: str) -> dict[str, str]:
    base = f"/services/data/v{api_version}/sobjects/{name}"
    return {"compactLayouts": f"{base}/describe/compactLayouts", "rowTemplate": f"{base}/{{ID}}",
            "approvalLayouts": f"{base}/describe/approvalLayouts",
            "defaultValues": f"{base}/defaultValues?recordTypeId&fields",
            "listviews": f"{base}/listviews", "describe": f"{base}/describe",
            "quickActions": f"{base}/quickActions", "layouts": f"{base}/describe/layouts",
            "sobject": base}


def global_entry(o: SObjectType, api_version: str) -> dict[str, Any]:
    """One object as Describe Global and sObject Basic Information list it."""
    return {
        "activateable": False, "associateEntityType": None, "associateParentEntity": None,
        "createable": o.createable, "custom": o.custom, "customSetting": False,
        "deepCloneable": False, "deletable": o.deletable, "deprecatedAndHidden": False,
        "feedEnabled": True, "hasSubtypes": False, "isInterface": False, "isSubtype": False,
        "keyPrefix": o.key_prefix, "label": o.label, "labelPlural": o.label_plural,
        "layoutable": True, "mergeable": o.mergeable, "mruEnabled": True, "name": o.name,
        "queryable": True, "replicateable": True, "retrieveable": True, "searchable": True,
        "triggerable": True, "undeletable": o.deletable, "updateable": o.updateable,
        "urls": _urls(api_version, o.name),
    }


def describe_global(objects: Iterable[SObjectType], api_version: str) -> dict[str, Any]:
    return {"encoding": "UTF-8", "maxBatchSize": 200,
            "sobjects": [global_entry(o, api_version) for o in objects]}


def describe_object(o: SObjectType, all_objects: Iterable[SObjectType],
                    api_version: str) -> dict[str, Any]:
    """The full sObject Describe body: object properties, fields and child relationships."""
    body = global_entry(o, api_version)
    body.update({
        "actionOverrides": [], "childRelationships": _children(o, all_objects),
        "compactLayoutable": True, "defaultImplementation": None,
        "extendedBy": None, "extendsInterfaces": None,
        "fields": [describe_field(f) for f in o.fields.values()],
        "implementedBy": None, "implementsInterfaces": None, "listviewable": None,
        "lookupLayoutable": None, "namedLayoutInfos": [], "networkScopeFieldName": None,
        "recordTypeInfos": [], "searchLayoutable": True, "sobjectDescribeOption": "FULL",
        "supportedScopes": [{"label": "All " + o.label_plural.lower(), "name": "everything"},
                            {"label": "My " + o.label_plural.lower(), "name": "mine"}],
    })
    return dict(sorted(body.items()))


def _children(o: SObjectType, all_objects: Iterable[SObjectType]) -> list[dict[str, Any]]:
    out = []
    for child in all_objects:
        for f in child.fields.values():
            if o.name in f.reference_to and f.child_relationship:
                out.append({"cascadeDelete": child.name in ("Task", "Event"),
                            "childSObject": child.name, "deprecatedAndHidden": False,
                            "field": f.name, "junctionIdListNames": [],
                            "junctionReferenceTo": [],
                            "relationshipName": f.child_relationship,
                            "restrictedDelete": False})
    return out


def describe_field(f: Field) -> dict[str, Any]:
    """One field's describe properties."""
    text = f.type in STRING_TYPES or f.type in ("id", "reference")
    filterable = f.type not in UNSORTABLE and not (f.type == "textarea" and f.length > 255)
    default: Any = f.default
    return {
        "aggregatable": f.type not in ("boolean", "textarea", "multipicklist"),
        "aiPredictionField": False, "autoNumber": False,
        "byteLength": f.length * 3 if text else 0,
        "calculated": f.calculated, "calculatedFormula": None, "cascadeDelete": False,
        "caseSensitive": f.case_sensitive, "compoundFieldName": None, "controllerName": None,
        "createable": f.createable, "custom": f.custom,
        "defaultValue": default, "defaultValueFormula": None,
        "defaultedOnCreate": f.defaulted_on_create, "dependentPicklist": False,
        "deprecatedAndHidden": False, "digits": f.digits, "displayLocationInDecimal": False,
        "encrypted": False, "externalId": f.external_id, "extraTypeInfo": None,
        "filterable": filterable, "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False, "groupable": filterable and f.type not in
        NUMBER_TYPES | {"datetime"}, "highScaleNumber": False, "htmlFormatted": False,
        "idLookup": f.id_lookup, "inlineHelpText": f.help_text, "label": f.label,
        "length": f.length if text else 0, "mask": None, "maskType": None, "name": f.name,
        "nameField": f.name_field, "namePointing": f.polymorphic, "nillable": f.nillable,
        "permissionable": f.nillable and f.createable and not f.calculated,
        "picklistValues": [{"active": True, "defaultValue": value == f.default, "label": value,
                            "validFor": None, "value": value} for value in f.picklist],
        "polymorphicForeignKey": f.polymorphic, "precision": f.precision,
        "queryByDistance": False, "referenceTargetField": None,
        "referenceTo": list(f.reference_to), "relationshipName": f.relationship_name,
        "relationshipOrder": None, "restrictedDelete": False,
        "restrictedPicklist": f.restricted, "scale": f.scale, "searchPrefilterable": False,
        "soapType": SOAP_TYPES.get(f.type, "xsd:string"), "sortable": filterable,
        "type": f.type, "unique": f.unique, "updateable": f.updateable,
        "writeRequiresMasterRead": False,
    }
