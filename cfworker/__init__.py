"""cfworker: scaffold, build and deploy Cloudflare Workers from Python.

Importing this package must stay cheap: `cfworker --version` and `--help` load only
this module, click and `cfworker.cli`. Heavy modules (httpx, watchfiles) are imported
inside the commands that need them.
"""

__version__ = "0.1.0"
