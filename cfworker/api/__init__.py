"""The Cloudflare API v4: one client (`client`) and one module of typed functions per product.

Resource modules take the client as their first argument and return frozen dataclasses
built by `from_api()`, which ignores fields Cloudflare adds later. Commands never build URLs.
"""
