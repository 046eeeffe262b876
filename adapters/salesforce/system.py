"""Salesforce Leads behind the ``System`` port, through simple-salesforce.

- Changes: SOQL through ``queryAll`` (deleted leads included) on ``SystemModstamp``, ordered by
  ``SystemModstamp, Id``, pages of up to 2,000 followed by ``nextRecordsUrl``.
- Writes: sObject Collections, 200 records a call, never all-or-none: updates by ``Id``
  (``PATCH composite/sobjects``) and upserts by LeadSync's external-ID field
  (``PATCH composite/sobjects/Lead/<field>``), so a write sent twice makes one record.
- Large reads and writes go through Bulk API 2.0 (``bulk``): a read (full, or since a cursor)
  of more leads than ``bulk_threshold`` (the first REST page's ``totalSize`` tells, as ``SELECT
  COUNT()`` would, with no extra call) is one ``queryAll`` job, handed on in pages of 2,000
  with the REST path's values; a write of more ops than the threshold is
  an ``update`` job by ``Id`` for the ops that carry one and an ``upsert`` job on the key field
  for the rest, results matched back to the ops by key (Bulk answers in no set order).
- Every call goes through ``calls.SalesforceCalls`` (daily budget, retry, counting, SOQL
  paging), which the org's activities share.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from simple_salesforce import Salesforce

from leadsync.adapters.salesforce.bulk import Bulk2
from leadsync.adapters.salesforce.bulk_rows import parse_error, row_from_csv, value_to_csv
from leadsync.adapters.salesforce.calls import SalesforceCalls
from leadsync.adapters.salesforce.errors import refusal
from leadsync.connector.budget import CallBudget
from leadsync.connector.errors import TransientError
from leadsync.connector.models import Cursor, FieldInfo, FieldValue, Record, WriteOp, WriteResult
from leadsync.connector.retry import RetryPolicy

BATCH = 200
LOOKUP_CHUNK = 100
RETRIEVE_CHUNK = 2000  # sObject Collections retrieve, POST
BULK_THRESHOLD = 100_000  # more leads (read) or ops (write) than this go through Bulk API 2.0
PAGE = 2000  # records a page of a bulk read hands on
SYSTEM_FIELDS = ("Id", "SystemModstamp", "IsDeleted", "IsConverted", "ConvertedContactId",
                 "MasterRecordId")
_TYPES = {"string": "Text", "textarea": "LongTextArea", "boolean": "Checkbox",
          "datetime": "DateTime", "date": "Date", "double": "Number", "int": "Number",
          "picklist": "Picklist", "email": "Email"}


def soql_literal(value: Any) -> str:
    """A value as a SOQL literal, quotes and backslashes escaped."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def parse_datetime(value: str) -> datetime:
    """Salesforce's ``2024-01-15T10:30:00.000+0000`` as an aware datetime."""
    parsed = datetime.fromisoformat(value)  # several times faster than strptime
    if parsed.tzinfo is None or "T" not in value:
        raise ValueError(f"not a Salesforce date-time: {value!r}")
    return parsed.astimezone(UTC)


class SalesforceSystem:
    kind = "salesforce"
    id_field = "Id"

    def __init__(self, name: str, client: Salesforce, key_field: str = "LeadSync_Id__c",
                 sobject: str = "Lead", retry: RetryPolicy | None = None,
                 daily_budget: CallBudget | None = None, bulk_threshold: int = BULK_THRESHOLD,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.name, self.client, self.key_field, self.sobject = name, client, key_field, sobject
        self.calls = SalesforceCalls(client, retry, daily_budget, name)
        self.bulk, self.bulk_threshold = Bulk2(self.calls, sleep), bulk_threshold
        self._describe: dict[str, FieldInfo] | None = None

    @property
    def calls_made(self) -> int:
        return self.calls.made

    @property
    def retries_made(self) -> int:
        return self.calls.retries

    @property
    def max_parallel(self) -> int:  # write calls connector.deliver sends at once
        return self.calls.max_parallel

    def budget(self) -> dict[str, float]:
        return self.calls.budget()

    # reading
    def _select(self, fields: Sequence[str]) -> str:
        names = list(dict.fromkeys([*SYSTEM_FIELDS, self.key_field, *fields]))
        return ", ".join(names)

    def read_changes(self, since: Cursor | None, until: datetime,
                     fields: Sequence[str]) -> Iterator[list[Record]]:
        where = [f"SystemModstamp <= {soql_literal(until)}"]
        if since is not None:
            where.insert(0, f"SystemModstamp >= {soql_literal(since.modified_at)}")
        soql = (f"SELECT {self._select(fields)} FROM {self.sobject} WHERE {' AND '.join(where)} "
                f"ORDER BY SystemModstamp, Id")
        page = self.calls("query", self.client.query, soql, include_deleted=True)
        if int(page.get("totalSize", 0)) > self.bulk_threshold:
            # the first page's totalSize counts the changes, as SELECT COUNT() would, for no
            # extra call when the read stays on REST; that page is dropped, the job reads all
            for records in self._read_bulk(where, fields):
                records = [r for r in records if since is None or since.admits(r)]
                if records:
                    yield records
            return
        while True:
            records = [self._record(row) for row in page["records"]]
            if since is not None:
                records = [r for r in records if since.admits(r)]
            if records:
                yield records
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = self.calls("query", self.client.query_more, page["nextRecordsUrl"],
                              identifier_is_url=True)

    def _read_bulk(self, where: Sequence[str], fields: Sequence[str]
                   ) -> Iterator[list[Record]]:
        """The leads ``where`` says, deleted ones too, through one queryAll job (no ORDER BY:
        Bulk API 2.0 advises against it, and the cursor takes the latest stamp of all the
        pages, saved only once the whole pass is confirmed)."""
        soql = (f"SELECT {self._select(fields)} FROM {self.sobject} "
                f"WHERE {' AND '.join(where)}")
        types = {name: info.type for name, info in self.describe().items()}
        page: list[Record] = []
        for row in self.bulk.query(soql, include_deleted=True):
            page.append(self._record(row_from_csv(row, types)))
            if len(page) == PAGE:
                yield page
                page = []
        if page:
            yield page

    def lookup(self, field: str, values: Sequence[FieldValue], fields: Sequence[str]
               ) -> list[Record]:
        if field == self.id_field:
            return self._retrieve([str(v) for v in values if v], fields)
        return self._where_in(field, values, fields)

    def gone(self, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        """Leads of these ids in the recycle bin (``queryAll``), merged ones with their master."""
        return self._where_in("Id", ids, fields, deleted=True)

    def _retrieve(self, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        """Live records by id through sObject Collections retrieve: 2,000 ids a call (a SOQL
        ``IN`` takes about a hundred), null answers (deleted, unknown) left out."""
        found: list[Record] = []
        unique = list(dict.fromkeys(ids))
        names = [name.strip() for name in self._select(fields).split(",")]
        for start in range(0, len(unique), RETRIEVE_CHUNK):
            answer = self.calls("retrieve", self.calls.client.restful,
                                f"composite/sobjects/{self.sobject}", method="POST",
                                json={"ids": unique[start:start + RETRIEVE_CHUNK],
                                      "fields": names})
            found.extend(self._record(row) for row in answer or [] if row)
        return found

    def _where_in(self, field: str, values: Sequence[FieldValue], fields: Sequence[str],
                  deleted: bool = False) -> list[Record]:
        """Records whose ``field`` is one of ``values``, ``LOOKUP_CHUNK`` values a query; live
        ones, or with ``deleted`` those in the recycle bin."""
        found: list[Record] = []
        unique = list(dict.fromkeys(v for v in values if v))
        bin_only = "IsDeleted = true AND " if deleted else ""
        for start in range(0, len(unique), LOOKUP_CHUNK):
            chunk = unique[start:start + LOOKUP_CHUNK]
            soql = (f"SELECT {self._select(fields)} FROM {self.sobject} WHERE {bin_only}{field} "
                    f"IN ({', '.join(soql_literal(v) for v in chunk)})")
            for rows in self.calls.query(soql, include_deleted=deleted):
                found.extend(self._record(row) for row in rows)
        return found

    def _record(self, row: dict[str, Any]) -> Record:
        fields = {k: v for k, v in row.items() if k != "attributes"}
        deleted, converted = bool(row.get("IsDeleted")), bool(row.get("IsConverted"))
        became = row.get("MasterRecordId") if deleted else (
            row.get("ConvertedContactId") if converted else None)
        return Record(self.name, row["Id"], fields, parse_datetime(row["SystemModstamp"]),
                      deleted=deleted, read_only=converted, became=became or None)

    # writing
    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        if len(ops) > self.bulk_threshold:
            return self._write_bulk(ops)
        results: dict[int, WriteResult] = {}
        updates = [(i, op) for i, op in enumerate(ops) if op.target_id]
        upserts = [(i, op) for i, op in enumerate(ops) if not op.target_id]
        for start in range(0, len(updates), BATCH):
            chunk = updates[start:start + BATCH]
            records = [{"attributes": {"type": self.sobject}, "Id": op.target_id,
                        **op.fields, self.key_field: op.key} for _, op in chunk]
            answer = self.calls("update", self.client.restful, "composite/sobjects",
                                method="PATCH", json={"allOrNone": False, "records": records})
            results.update(self._results(chunk, answer))
        for start in range(0, len(upserts), BATCH):
            chunk = upserts[start:start + BATCH]
            records = [{"attributes": {"type": self.sobject}, **op.fields,
                        self.key_field: op.key} for _, op in chunk]
            answer = self.calls("upsert", self.client.restful,
                                f"composite/sobjects/{self.sobject}/{self.key_field}",
                                method="PATCH", json={"allOrNone": False, "records": records})
            results.update(self._results(chunk, answer))
        return [results[i] for i in range(len(ops))]

    def _write_bulk(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Updates by Id in one ``update`` job, the rest in one ``upsert`` job on the key."""
        results: dict[int, WriteResult] = {}
        updates = [(i, op) for i, op in enumerate(ops) if op.target_id]
        upserts = [(i, op) for i, op in enumerate(ops) if not op.target_id]
        for chunk, operation in ((updates, "update"), (upserts, "upsert")):
            if not chunk:
                continue
            lead = ["Id", self.key_field] if operation == "update" else [self.key_field]
            header = list(dict.fromkeys([*lead, *(n for _, op in chunk for n in op.fields)]))
            rows = [[_cell(op, name, self.key_field) for name in header] for _, op in chunk]
            done, failed = self.bulk.ingest(self.sobject, operation, header, rows,
                                            self.key_field if operation == "upsert" else None)
            results.update(self._bulk_results(chunk, done, failed))
        return [results[i] for i in range(len(ops))]

    def _bulk_results(self, chunk: list[tuple[int, WriteOp]], done: list[dict[str, str]],
                      failed: list[dict[str, str]]) -> Iterator[tuple[int, WriteResult]]:
        """One result per op, matched by the key each result row echoes."""
        by_key: dict[str, deque[tuple[bool, dict[str, str]]]] = defaultdict(deque)
        for ok, rows in ((True, done), (False, failed)):
            for row in rows:
                by_key[row.get(self.key_field, "")].append((ok, row))
        for index, op in chunk:
            if not by_key[op.key]:
                raise TransientError(f"Salesforce bulk write: no result for key {op.key}")
            ok, row = by_key[op.key].popleft()
            if ok:
                yield index, WriteResult(op.key, True, row.get("sf__Id") or op.target_id,
                                         created=row.get("sf__Created") == "true")
                continue
            refused = refusal(op.key, parse_error(row.get("sf__Error", "")))
            yield index, WriteResult(op.key, False, op.target_id, code=refused.code,
                                     message=refused.vendor_message, fields=refused.fields)

    @staticmethod
    def _results(chunk: list[tuple[int, WriteOp]], answer: Any
                 ) -> Iterator[tuple[int, WriteResult]]:
        for (index, op), item in zip(chunk, answer or [], strict=True):
            if item.get("success"):
                yield index, WriteResult(op.key, True, item.get("id") or op.target_id,
                                         created=bool(item.get("created")))
                continue
            refused = refusal(op.key, (item.get("errors") or [{}])[0])
            yield index, WriteResult(op.key, False, op.target_id, code=refused.code,
                                     message=refused.vendor_message, fields=refused.fields)

    # schema
    def describe(self) -> dict[str, FieldInfo]:
        if self._describe is None:
            answer = self.calls("describe", self.client.restful,
                                f"sobjects/{self.sobject}/describe/") or {}
            self._describe = {f["name"]: _field_info(f) for f in answer["fields"]}
        return self._describe

    def users(self) -> dict[str, str]:
        users: dict[str, str] = {}
        soql = "SELECT Id, Email FROM User WHERE IsActive = true"
        for rows in self.calls.query(soql, include_deleted=False):
            users.update({row["Id"]: row["Email"] for row in rows if row.get("Email")})
        return users

    def create_fields(self, specs: Sequence[FieldInfo]) -> list[str]:
        created = []
        for spec in specs:
            self.calls("create field", self.client.toolingexecute, "sobjects/CustomField/",
                       method="POST", data={"FullName": f"{self.sobject}.{spec.name}",
                                            "Metadata": _metadata(spec)})
            created.append(spec.name)
        if created:
            self._describe = None
        return created


def _cell(op: WriteOp, name: str, key_field: str) -> str:
    """An op's CSV cell for a column: its id, its key, or a field it writes; a column it does
    not write is blank, which a Bulk job leaves alone."""
    if name == "Id":
        return op.target_id or ""
    if name == key_field:
        return op.key
    return value_to_csv(op.fields[name]) if name in op.fields else ""


def _field_info(field: dict[str, Any]) -> FieldInfo:
    options = ()
    if field.get("restrictedPicklist"):
        options = tuple(v["value"] for v in field.get("picklistValues", []) if v.get("active"))
    required = (not field.get("nillable", True) and field.get("createable", False)
                and not field.get("defaultedOnCreate", False))
    return FieldInfo(name=field["name"], type=field["type"], label=field.get("label", ""),
                     length=field.get("length") or None,
                     updateable=bool(field.get("updateable")), required=required,
                     unique=bool(field.get("unique")), options=options)


def _metadata(spec: FieldInfo) -> dict[str, Any]:
    kind = _TYPES.get(spec.type, "Text")
    metadata: dict[str, Any] = {"label": spec.label or spec.name.removesuffix("__c"),
                                "type": kind}
    if kind == "Text":
        metadata["length"] = spec.length or 255
    elif kind == "LongTextArea":
        metadata.update(length=spec.length or 32768, visibleLines=3)
    elif kind == "Number":
        metadata.update(precision=18, scale=0 if spec.type == "int" else 2)
    elif kind == "Checkbox":
        metadata["defaultValue"] = "false"
    elif kind == "Picklist":
        metadata["valueSet"] = {"restricted": True, "valueSetDefinition": {
            "value": [{"fullName": v, "label": v, "default": False} for v in spec.options]}}
    if spec.unique:
        metadata.update(unique=True, externalId=True, caseSensitive=False)
    return metadata
