"""Tasks that each return 128 KB: moving results dominates (bench: harness fidelity)."""

TASKS = 2_000
PAYLOAD = bytes(128 * 1024 - 4)


def task(i: int) -> bytes:
    return i.to_bytes(4, "little") + PAYLOAD
