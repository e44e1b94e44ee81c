"""The reference part of `docs/api.md`, rendered from the OpenAPI schema (`python manage.py api_docs`).

The schema is the one description of the API's shapes (`pods.api.serializers`); this renders it as
Markdown tables between two markers in docs/api.md, leaving the prose around them as written. A test
fails when the committed file differs from what this renders.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

BEGIN = "<!-- BEGIN REFERENCE: rendered from the OpenAPI schema by `manage.py api_docs`; edit pods/api/ -->"
END = "<!-- END REFERENCE -->"
REF = "#/components/schemas/"


def docs_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "api.md"


def schema_document() -> dict:
    """The schema exactly as `/api/schema/` serves it, as plain JSON data."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _name(ref: str) -> str:
    return ref.removeprefix(REF)


class _Renderer:
    def __init__(self, schema: dict):
        self.schema = schema
        self.components = schema.get("components", {}).get("schemas", {})
        self.order: list[str] = []  # objects in the order the endpoints reach them

    def _reach(self, node) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith(REF) and _name(ref) not in self.order:
                name = _name(ref)
                target = self.components[name]
                if target.get("type") == "object":
                    self.order.append(name)
                self._reach(target)
            for value in node.values():
                self._reach(value)
        elif isinstance(node, list):
            for value in node:
                self._reach(value)

    def type_of(self, node: dict) -> str:
        """A short type: `string`, `time`, `[Container](#container)`, `list of ...`, `... \\| null`."""
        if "$ref" in node:
            name = _name(node["$ref"])
            target = self.components[name]
            if "enum" in target:
                return self.type_of(target)
            return f"[{name}](#{name.lower()})"
        for key in ("oneOf", "anyOf", "allOf"):
            if key in node:
                return " or ".join(self.type_of(n) for n in node[key])
        if "enum" in node:
            return " or ".join(f"`{v}`" if v is not None else "null" for v in node["enum"])
        kinds = node.get("type", "any")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        out = []
        for kind in kinds:
            if kind == "array":
                out.append("list of " + self.type_of(node.get("items", {})))
            elif kind == "object" and isinstance(node.get("additionalProperties"), dict):
                out.append("map of string to " + self.type_of(node["additionalProperties"]))
            elif kind == "string" and node.get("format") == "date-time":
                out.append("time")
            elif kind == "string" and node.get("format") == "uri":
                out.append("URL")
            else:
                out.append(kind)
        return " or ".join(out)

    def description_of(self, node: dict) -> str:
        # drf-spectacular appends "* `a` - a" per choice to an enum's description; the type lists them.
        text = node.get("description", "").split("\n\n* `")[0]
        if not text and "$ref" in node:
            text = self.components[_name(node["$ref"])].get("description", "")
        return _cell(text)

    def operation(self, path: str, method: str, op: dict) -> list[str]:
        lines = [f"### `{method.upper()} {path}`", "", _cell(op.get("description", "")), ""]
        params = [p for p in op.get("parameters", []) if p["in"] == "query"]
        if params:
            lines += ["| query parameter | type | meaning |", "| --- | --- | --- |"]
            for p in params:
                schema = p.get("schema", {})
                meaning = _cell(p.get("description", ""))
                if "default" in schema:
                    meaning = (meaning + f" Default {json.dumps(schema['default'])}.").strip()
                lines.append(f"| `{p['name']}` | {self.type_of(schema)} | {meaning} |")
            lines.append("")
        lines += ["| status | answer | when |", "| --- | --- | --- |"]
        for code, response in op.get("responses", {}).items():
            body = response.get("content", {}).get("application/json", {}).get("schema", {})
            when = _cell(response.get("description", "")) or "Success."
            lines.append(f"| {code} | {self.type_of(body) if body else 'empty'} | {when} |")
        return lines + [""]

    def component(self, name: str) -> list[str]:
        node = self.components[name]
        lines = [f"### {name}", ""]
        if node.get("description"):
            lines += [_cell(node["description"]), ""]
        lines += ["| field | type | meaning |", "| --- | --- | --- |"]
        for field, spec in node.get("properties", {}).items():
            lines.append(f"| `{field}` | {self.type_of(spec)} | {self.description_of(spec)} |")
        return lines + [""]

    def render(self) -> str:
        lines = ["## Endpoints", ""]
        for path, item in self.schema["paths"].items():
            for method, op in item.items():
                lines += self.operation(path, method, op)
                self._reach(op)
        lines += [
            "## Objects",
            "",
            "Every object has exactly the fields listed (no others; `null` only where the type says so).",
            "",
        ]
        for name in self.order:
            lines += self.component(name)
        return "\n".join(lines).rstrip() + "\n"


def render_reference(schema: dict) -> str:
    return _Renderer(schema).render()


def with_reference(document: str, reference: str) -> str:
    """`document` (docs/api.md) with the text between the markers replaced by `reference`."""
    head, begin, rest = document.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"docs/api.md needs the markers {BEGIN!r} and {END!r}")
    return f"{head}{BEGIN}\n\n{reference}\n{END}{tail}"
