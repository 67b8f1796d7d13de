"""viztracer: every Python function call per thread and process, in a run of its own
(recorder), decoded (load, forked), as function spans for the timeline (tables, spans)."""
