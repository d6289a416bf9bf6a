"""Allow ``python -m privault``."""

from privault.cli.app import main

main()
