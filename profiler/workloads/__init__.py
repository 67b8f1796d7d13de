"""Stdlib-only helpers that scenario files may import (they run in the workload)."""
