"""py-spy: which thread holds the GIL, sampled, with its stacks, in every process: recording
(recorder: in front of the runner; attached: beside a running program), loading (load),
and what it gives a model's tables (tables: sampled shares with their errors, stacks)."""
