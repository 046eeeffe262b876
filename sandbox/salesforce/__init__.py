"""An emulated Salesforce org: the REST API (sObjects, collections, SOQL, replication, limits),
the Tooling API's CustomField and the SOAP calls convertLead() and merge(), as simple-salesforce
and plain HTTP clients call them.

Modules, one noun each: ``org`` (records and writes), ``schema``/``standard`` (metadata),
``describe`` (describe bodies), ``validation`` (write checks), ``soql``/``soql_eval`` (the query
language), ``query`` (query resources and paging), ``sobjects`` and ``composite`` (record
resources), ``replication`` (get updated/deleted), ``tooling``, ``soap``, ``limits``, ``ids``,
``errors``, ``payload`` (request bodies), ``app`` (HTTP, sessions, routing) and ``seed``.
"""

from leadsync.sandbox.salesforce.org import SalesforceOrg

__all__ = ["SalesforceOrg"]
