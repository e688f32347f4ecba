"""Results of many scans in one database (SQLite by default, PostgreSQL for a team), for
``batch``, ``scan --store`` and the ``serve`` dashboard. See docs/fleet.md for the schema."""

from iotbaseline.store.records import AssessmentKey, ProductIdentity, ScanRecord
from iotbaseline.store.store import SaveResult, Store, StoreError
from iotbaseline.store.url import default_store_url

__all__ = ["AssessmentKey", "ProductIdentity", "SaveResult", "ScanRecord", "Store", "StoreError",
           "default_store_url"]
