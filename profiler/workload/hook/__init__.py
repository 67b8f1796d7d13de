"""The start-up hook of `concprof record` (sitecustomize and the modules it installs),
put on a recorded program's PYTHONPATH; concprof_loop is also imported by the runner."""
