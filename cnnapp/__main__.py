"""`python -m cnnapp` entry point: the command line, and the app's internal warm trainer.

`python -m cnnapp warm-trainer` is started only by the job manager (`cnnapp.jobs.warm`), so it is not a
subcommand of the public command line: it is dispatched here, and hands each job back to `cli.main`.
"""

import sys

from cnnapp.cli import main
from cnnapp.jobs.warm import ENTRY

if __name__ == "__main__":
    if sys.argv[1:2] == [ENTRY]:
        from cnnapp.jobs.warm import serve

        raise SystemExit(serve(main))
    raise SystemExit(main())
