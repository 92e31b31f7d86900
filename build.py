"""Build the archive: `python build.py [build|check|serve|new] --help`."""

import sys

from site_builder.cli import main

if __name__ == "__main__":
    sys.exit(main())
