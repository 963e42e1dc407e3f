"""`python -m cfworker` runs the same entry point as the `cfworker` console script."""

from cfworker.cli import main

if __name__ == "__main__":
    main()
