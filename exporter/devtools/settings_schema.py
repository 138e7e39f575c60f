"""The Helm chart's schema for the exporter's configuration, generated from the settings model.

The chart passes `config:` through to the exporter's config file, and each entry of
`accounts:` too, except its `credentials` (the chart's own: which Secret to mount). So their
schema is the settings model's, and nothing in the chart spells a setting again.

python -m exporter.devtools.settings_schema        # print the generated parts
python -m exporter.devtools.settings_schema FILE   # rewrite them in values.schema.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from exporter.settings import Settings

CHART_SCHEMA = Path("helm/huaweicloud-migration-exporter/values.schema.json")
# The chart's own description of an account's credentials, kept by hand in the schema file.
CHART_CREDENTIALS = "ChartCredentials"


def _untitled(node: Any) -> Any:
    """pydantic's generated titles ("Max In Flight") say nothing the key does not."""
    if isinstance(node, dict):
        return {
            k: _untitled(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))
        }
    if isinstance(node, list):
        return [_untitled(v) for v in node]
    return node


def generated() -> dict[str, Any]:
    """`config`, the account entries and the definitions they use, from the settings model."""
    full = _untitled(Settings.model_json_schema(ref_template="#/$defs/{model}"))
    defs = full.pop("$defs")
    properties = full["properties"]
    for name, field in Settings.model_fields.items():
        if field.exclude:  # the environment-only shortcuts (HWMIG_ACCESS_KEY, HTTPS_PROXY, ...)
            alias = field.validation_alias
            for key in (name, alias if isinstance(alias, str) else None):
                properties.pop(key or "", None)
            for choice in getattr(alias, "choices", ()):
                properties.pop(choice, None)
    properties.pop("accounts")
    account = defs.pop("Account")
    account["properties"]["credentials"] = {"$ref": f"#/$defs/{CHART_CREDENTIALS}"}
    defs.pop("Credentials")
    config = {
        "description": "The exporter's config file, accounts aside: see the exporter's README.",
        **full,
    }
    return {
        "config": config,
        "accounts": {"type": "array", "items": {"$ref": "#/$defs/Account"}},
        "$defs": {"Account": account, **defs},
    }


def rewrite(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (the chart's values.schema.json) with its generated parts replaced."""
    parts = generated()
    kept = {k: v for k, v in schema.get("$defs", {}).items() if k == CHART_CREDENTIALS}
    properties = {**schema["properties"], "config": parts["config"], "accounts": parts["accounts"]}
    return {**schema, "properties": properties, "$defs": {**parts["$defs"], **kept}}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2) + "\n"


def main(argv: list[str]) -> int:
    if not argv:
        print(render(generated()), end="")
        return 0
    path = Path(argv[0])
    path.write_text(render(rewrite(json.loads(path.read_text(encoding="utf-8")))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
