"""The official SDK as the oracle of a payload: a signed GET of the simulator's answer, read
back through the SDK's models unchanged.

    answer = await signed_get(wiring, "/v3/migprojects", [("limit", 100), ("offset", 0)])
    model = SmsClient()._deserialize(answer, "ListMigprojectsResponse")
    same([p.to_dict() for p in model.migprojects], answer["migprojects"])
"""

from __future__ import annotations

from typing import Any

from yarl import URL

from exporter.huawei.auth import Scope, Unsigned
from exporter.huawei.signing import host_header
from tests.conftest import Wiring


async def signed_get(
    wiring: Wiring,
    path: str,
    query: list[tuple[str, Any]],
    *,
    oms: bool = False,
) -> Any:
    """`path` of the wiring's tenant, signed as the exporter signs it (OMS: scoped to the
    project, which is also sent in `X-Project-Id`); the JSON of a 200 answer."""
    url = URL(wiring.url)
    project = wiring.tenant.project_id
    headers = {"X-Project-Id": project} if oms else {}
    unsigned = Unsigned("GET", host_header(url.host or "", url.port, "http"), path, query, headers)
    scope = Scope(project_id=project) if oms else Scope(project_name=wiring.tenant.region)
    signed = await wiring.aksk().authorize(unsigned, scope)
    async with wiring.session.get(wiring.url + signed.path_and_query, headers=signed.headers) as r:
        assert r.status == 200, await r.text()
        return await r.json()


def same(sdk: Any, sent: Any) -> None:
    """Every value we sent reads back from the SDK's model unchanged: no type was coerced."""
    if isinstance(sent, dict):
        for key, value in sent.items():
            same(sdk[key], value)
    elif isinstance(sent, list):
        assert len(sdk) == len(sent)
        for a, b in zip(sdk, sent, strict=True):
            same(a, b)
    else:
        assert sdk == sent and type(sdk) is type(sent), (sdk, sent)
