"""Signals out: what Initscope knows, sent to the tools on-call teams already run (docs/signals.md).

- `traces` (pure, no Django, no I/O): one Pod startup as an OpenTelemetry trace, built from the timeline
  engine's folded `PodState`: when a startup has ended (`startup_end`), its spans (`build_trace`) with
  deterministic trace and span ids, and the Kubernetes resource attributes.
- `export` (the edge): which startups a batch ended (`watch_startups`, called by `pods.ingest.batch`), the
  Celery task's message after commit, and the OTLP/HTTP exporter (`export_trace`), configured in
  `dashboard/settings.py` from the standard `OTEL_EXPORTER_OTLP_*` variables; off unless
  `INITSCOPE_TRACES=1`.
"""
