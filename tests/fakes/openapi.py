"""Validate requests to the fake against Cloudflare's OpenAPI document (the relaxed subset).

`load_spec()` reads tests/data/cloudflare/cloudflare-workers-subset-relaxed.openapi.json once
per process. `OpenAPISpec.match(method, path)` finds the operation whose path template fits;
`Operation.validate(params, request)` checks path and query parameters (strings coerced to the
declared type first) and the body: JSON against the operation's schema, multipart parts against
the form schema (JSON-valued parts such as the Worker `metadata` are parsed and validated).
Validators are compiled lazily, once per operation and parameter, with OAS30Validator
(`nullable`, OpenAPI formats). Unknown query parameters are allowed, as the real API ignores them.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tests.fakes import multipart
from tests.fakes.wire import FakeRequest

SPEC_DIR = Path(__file__).resolve().parents[1] / "data" / "cloudflare"
RELAXED_SPEC = SPEC_DIR / "cloudflare-workers-subset-relaxed.openapi.json"
STRICT_SPEC = SPEC_DIR / "cloudflare-workers-subset.openapi.json"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class _Schemas:
    """The document's components plus a cache of compiled validators keyed by schema identity."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.components = doc.get("components", {})
        self._cache: dict[int, Any] = {}

    def resolve(self, node: Any) -> Any:
        """Follow `$ref`s (local only) until a concrete object is reached."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            target: Any = self.doc
            for token in node["$ref"].lstrip("#/").split("/"):
                target = target[token.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
        return node

    def validator(self, schema: dict[str, Any]) -> Any:
        """A compiled OAS 3.0 validator for `schema` (refs resolve against the document)."""
        key = id(schema)
        v = self._cache.get(key)
        if v is None:
            root = dict(schema)
            root["components"] = self.components
            v = OAS30Validator(root, format_checker=oas30_format_checker)
            self._cache[key] = (v, schema)  # keep `schema` alive so its id stays unique
            return v
        return v[0]

    def type_of(self, schema: Any) -> str | None:
        """The declared JSON type of a (possibly referenced or allOf-wrapped) schema."""
        s = self.resolve(schema)
        if not isinstance(s, dict):
            return None
        if "type" in s:
            return str(s["type"])
        for sub in s.get("allOf", []):
            t = self.type_of(sub)
            if t:
                return t
        return None


def _first_error(validator: Any, instance: Any, where: str) -> str | None:
    err = best_match(validator.iter_errors(instance))
    if err is None:
        return None
    loc = where + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in err.absolute_path)
    msg = err.message
    if len(msg) > 300:
        msg = msg[:300] + "..."
    return f"{loc}: {msg}"


def _coerce(value: str, typ: str | None) -> Any:
    """Turn a query/path string into the declared type; leave it alone if it does not convert."""
    if typ == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    if typ == "number":
        try:
            f = float(value)
        except ValueError:
            return value
        return int(f) if f.is_integer() else f
    if typ == "boolean":
        low = value.lower()
        return True if low == "true" else False if low == "false" else value
    return value


@dataclass
class Param:
    """One declared path or query parameter."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]


@dataclass
class Operation:
    """One OpenAPI operation: method, path template and what its requests must look like."""

    method: str
    template: str
    operation_id: str
    regex: re.Pattern[str]
    params: list[Param]
    body: dict[str, Any] | None
    schemas: _Schemas = field(repr=False)

    def validate(self, path_params: dict[str, str], req: FakeRequest) -> list[str]:
        """Every way the request breaks the schema (empty list when it conforms)."""
        errors: list[str] = []
        for p in self.params:
            if p.location == "path":
                raw_values = [path_params[p.name]] if p.name in path_params else []
            elif p.location == "query":
                raw_values = req.query.get(p.name, [])
            else:
                continue  # headers and cookies: auth is checked by the fake itself
            if not raw_values:
                if p.required:
                    errors.append(f"{p.location} parameter {p.name!r} is required")
                continue
            typ = self.schemas.type_of(p.schema)
            value: Any = [_coerce(v, self.schemas.type_of(self.schemas.resolve(p.schema).get("items", {})))
                          for v in raw_values] if typ == "array" else _coerce(raw_values[0], typ)
            e = _first_error(self.schemas.validator(p.schema), value, f"{p.location} parameter {p.name!r}")
            if e:
                errors.append(e)
        errors.extend(self._validate_body(req))
        return errors

    def _validate_body(self, req: FakeRequest) -> list[str]:
        if self.body is None:
            return []
        content: dict[str, Any] = self.body.get("content", {})
        if not req.body:
            if self.body.get("required") and not any(ct == "application/json" and not c.get("schema")
                                                     for ct, c in content.items()):
                return [f"request body is required ({', '.join(content) or 'any type'})"]
            return []
        ctype = req.content_type
        if content and ctype not in content:
            return [f"Content-Type {ctype or '(none)'!r} is not accepted; expected one of {sorted(content)}"]
        media = content.get(ctype, {})
        schema = media.get("schema")
        if ctype == "multipart/form-data":
            return self._validate_multipart(req, schema or {})
        if ctype.endswith("json"):
            try:
                doc = json.loads(req.body)
            except ValueError as exc:
                return [f"body is not valid JSON: {exc}"]
            if schema:
                e = _first_error(self.schemas.validator(schema), doc, "body")
                return [e] if e else []
        return []

    def _validate_multipart(self, req: FakeRequest, schema: dict[str, Any]) -> list[str]:
        try:
            parts = multipart.parse(req.headers.get("content-type", ""), req.body)
        except multipart.MultipartError as exc:
            return [f"body: {exc}"]
        schema = self.schemas.resolve(schema)
        props: dict[str, Any] = schema.get("properties", {})
        names = {p.name for p in parts}
        errors = [f"multipart part {n!r} is required" for n in schema.get("required", []) if n not in names]
        for part in parts:
            prop = self.schemas.resolve(props.get(part.name)) if part.name in props else None
            if not isinstance(prop, dict):
                continue
            is_object = self.schemas.type_of(prop) == "object" or "properties" in prop
            if not is_object:
                continue
            try:
                doc = json.loads(part.data)
            except ValueError as exc:
                errors.append(f"multipart part {part.name!r} is not valid JSON: {exc}")
                continue
            e = _first_error(self.schemas.validator(prop), doc, f"multipart part {part.name!r}")
            if e:
                errors.append(e)
        return errors


def _template_regex(template: str) -> re.Pattern[str]:
    out = "".join(f"(?P<{m[1:-1].replace('.', '_')}>[^/]+)" if m.startswith("{") else re.escape(m)
                  for m in re.split(r"(\{[^}]+\})", template) if m)
    return re.compile(f"^{out}/?$")


def _correct(doc: dict[str, Any]) -> None:
    """Fix defects of the document that make valid traffic fail, in place (one comment each).

    * Upload `metadata.migrations` is `oneOf` single-step / stepped migrations, but the
      single-step schema allows extra keys, so every stepped migration matches both and the
      `oneOf` fails: what wrangler sends (`{old_tag?, new_tag, steps}`, api-notes §2.2)
      could never validate. `anyOf` is what the document means.
    """
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            refs = [m.get("$ref", "") for m in node.get("oneOf", ()) if isinstance(m, dict)]
            if refs and all(r.endswith("_migrations") for r in refs):
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(doc)


class OpenAPISpec:
    """All operations of one OpenAPI document, matched by method and path."""

    def __init__(self, path: Path = RELAXED_SPEC) -> None:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        _correct(doc)
        self.schemas = _Schemas(doc)
        self.operations: list[Operation] = []
        self._by_method: dict[str, list[Operation]] = {}
        for template, item in doc["paths"].items():
            shared = item.get("parameters", [])
            for method in _METHODS:
                op = item.get(method)
                if op is None:
                    continue
                merged = {(p["name"], p["in"]): p for p in map(self.schemas.resolve, shared)}
                merged.update({(p["name"], p["in"]): p for p in map(self.schemas.resolve, op.get("parameters", []))})
                params = [Param(p["name"], p["in"], bool(p.get("required")), p.get("schema", {})) for p in merged.values()]
                body = self.schemas.resolve(op["requestBody"]) if "requestBody" in op else None
                self.operations.append(Operation(method.upper(), template, op.get("operationId", template),
                                                 _template_regex(template), params, body, self.schemas))
        for o in self.operations:
            self._by_method.setdefault(o.method, []).append(o)
        for ops in self._by_method.values():  # literal segments beat placeholders
            ops.sort(key=lambda o: -sum(1 for s in o.template.split("/") if s and not s.startswith("{")))

    def match(self, method: str, api_path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation for `method api_path` and its decoded path parameters, if any."""
        for op in self._by_method.get(method.upper(), ()):
            m = op.regex.match(api_path)
            if m:
                names = re.findall(r"\{([^}]+)\}", op.template)
                return op, {n: unquote(v) for n, v in zip(names, m.groups())}
        return None


@functools.lru_cache(maxsize=4)
def load_spec(path: Path = RELAXED_SPEC) -> OpenAPISpec:
    """The parsed document, shared by every fake in the process."""
    return OpenAPISpec(path)
