"""procfs: per-thread on-CPU time, run-queue time, last core and context switches; per-core
busy time; polled from /proc beside the run (recorder), loaded (load), turned into shares
(tables)."""
