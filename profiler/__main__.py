"""`python -m profiler` is the `concprof` command."""

import sys

from profiler.cli import main

sys.exit(main())
