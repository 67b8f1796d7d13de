"""perf: exact GIL request, acquire and release per thread (uprobes on take_gil/drop_gil; on
a free-threaded build, the parking lot and stop-the-world), and every context switch on
every core (sched_switch): recording (recorder, gil_trace, uprobes), loading (load), and
what it gives a model's tables (tables: states, shares, checks, cores)."""
