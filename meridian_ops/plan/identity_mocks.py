"""Amazon Cognito as the mocks answer it: ids in Cognito's formats and the pool's endpoint (the
issuer's host and path), so the regional stacks read the issuer a deployment would export."""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

_ALNUM = string.ascii_letters + string.digits
_CLIENT = string.ascii_lowercase + string.digits


def _chars(ctx: Any, alphabet: str, length: int) -> str:
    digest = ctx.hex(2 * length)
    return "".join(
        alphabet[int(digest[i : i + 2], 16) % len(alphabet)] for i in range(0, 2 * length, 2)
    )


def identity_resource_id(ctx: Any) -> str | None:
    """A user pool id is `<region>_<9 letters and digits>`; an app client id 26 lower-case
    letters and digits; other Cognito resources are named by their inputs."""
    if ctx.type == "aws:cognito/userPool:UserPool":
        return f"{ctx.region}_{_chars(ctx, _ALNUM, 9)}"
    if ctx.type == "aws:cognito/userPoolClient:UserPoolClient":
        return _chars(ctx, _CLIENT, 26)
    if ctx.type == "aws:cognito/userPoolDomain:UserPoolDomain":
        return str(ctx.inputs.get("domain") or ctx.name)
    return None


def _outputs_user_pool(ctx: Any, rid: str) -> dict[str, Any]:
    return {
        "endpoint": f"cognito-idp.{ctx.region}.amazonaws.com/{rid}",
        "arn": ctx.arn("cognito-idp", f"userpool/{rid}"),
    }


def _outputs_client(ctx: Any, rid: str) -> dict[str, Any]:
    if ctx.inputs.get("generateSecret"):
        return {"clientSecret": ctx.hex(52)}
    return {}


IDENTITY_OUTPUTS: dict[str, Callable[[Any, str], dict[str, Any]]] = {
    "aws:cognito/userPool:UserPool": _outputs_user_pool,
    "aws:cognito/userPoolClient:UserPoolClient": _outputs_client,
}
