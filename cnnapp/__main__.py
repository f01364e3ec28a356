"""`python -m cnnapp` entry point."""

from cnnapp.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
