"""Orchestration, on the toolkit's side: resolve a plan (scenario, interpreter), launch the
runner in contained process groups, time and observe each model, and run a whole profile
(session) or the claims' scenarios; `doctor` says what this machine can record."""
