"""Import of recorded Kubernetes Pod/Event JSON (kubectl output, watch streams, List snapshots).

`reader.iter_records` turns a byte stream of any mix of supported framings into `Record`s (one Pod or
Event object each), `Rejected`s (what could not be used, with a human-readable position) and
`Notice`s (ERROR watch events). It is pure Python with no Django and no `kubernetes` import; ingest
decides what to do with the records.
"""

from pods.importer.reader import Notice, Record, Rejected, iter_records, open_records

__all__ = ["Notice", "Record", "Rejected", "iter_records", "open_records"]
