"""The Workers script size limits and the check every build and deploy applies (pure).

Cloudflare counts the compressed size of the upload: 3 MiB on Workers Free, 10 MiB on
Workers Paid. Over 10 MiB no plan accepts the script, so the build fails before any
upload; near the Free limit a warning says so.
"""

from __future__ import annotations

from cfworker.errors import BundleError

MIB = 1024 * 1024
FREE_LIMIT = 3 * MIB
PAID_LIMIT = 10 * MIB
WARN_RATIO = 0.8


def check_size(gzip_total: int) -> str | None:
    """A warning near the Free limit, None when small; BundleError over the Paid limit."""
    from cfworker.ui import human_size

    if gzip_total > PAID_LIMIT:
        raise BundleError(
            f"the Worker is {human_size(gzip_total)} gzipped, over the 10 MiB limit of Workers Paid",
            hint="move large data out of the bundle (KV, R2, static assets) or drop unused dependencies",
        )
    if gzip_total > WARN_RATIO * FREE_LIMIT:
        percent = gzip_total * 100 // FREE_LIMIT
        return (f"the Worker is {human_size(gzip_total)} gzipped: {percent}% of the 3 MiB Workers Free limit "
                "(Workers Paid allows 10 MiB)")
    return None
