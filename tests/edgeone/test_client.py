"""The SDK client against the fake API: signatures, every error worded, robustness, no secrets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.edgeone.client import EdgeOneClient
from bot.edgeone.errors import (
    ApiError,
    ApiTimeout,
    CredentialsRejected,
    EdgeOneError,
    MalformedAnswer,
    NotAuthorized,
    NotInZones,
    RateLimited,
    Unreachable,
)
from tests.edgeone.conftest import Clock, settings_for
from tests.i18n.mixing import english_runs, has_chinese
from tests.servers import TLSFixtures, closed_port
from tests.servers.teo import SECRET_ID, SECRET_KEY, ZONE_ID, FakeTeo, World, zone

TOKEN = "stsToken0123456789abcdefghijklmn"
HINT = "…" + SECRET_ID[-4:]


@pytest.fixture
async def client(fake: FakeTeo, clock: Clock) -> AsyncIterator[EdgeOneClient]:
    async with EdgeOneClient(settings_for(fake, EO_API_TIMEOUT="1"), clock=clock) as c:
        yield c


async def test_signed_call_reaches_the_api(fake: FakeTeo, client: EdgeOneClient) -> None:
    answer = await client.describe_ip_region(["43.175.1.10", "192.0.2.1"])
    assert [(i.IP, i.IsEdgeOneIP) for i in answer.IPRegionInfo] == [
        ("43.175.1.10", "yes"),
        ("192.0.2.1", "no"),
    ]
    (call,) = fake.calls
    assert call.error is None  # the fake recomputed the signature and accepted it
    assert (call.action, call.version) == ("DescribeIPRegion", "2022-09-01")
    assert call.params == {"IPs": ["43.175.1.10", "192.0.2.1"]}
    assert call.headers["x-tc-language"] == "en-US"  # error messages in English
    assert "eo-bot" in call.headers["x-tc-requestclient"]
    assert "x-tc-token" not in call.headers


async def test_wrong_secret_key_fails_the_signature() -> None:
    with FakeTeo(secret_key="another-secret-key-0123456789abcd") as fake:
        settings = settings_for(fake, TENCENTCLOUD_SECRET_KEY=SECRET_KEY)
        async with EdgeOneClient(settings) as client:
            with pytest.raises(CredentialsRejected) as caught:
                await client.describe_origin_acl(ZONE_ID)
    assert fake.calls[0].error == "AuthFailure.SignatureFailure"
    assert str(caught.value) == (
        f"EdgeOne API rejected the credentials (SecretId {HINT}): the SecretKey does not "
        "belong to this SecretId"
    )


async def test_unknown_secret_id() -> None:
    with FakeTeo(secret_id="AKIDsomeoneelse0123456789abcdefABCD") as fake:
        async with EdgeOneClient(settings_for(fake, TENCENTCLOUD_SECRET_ID=SECRET_ID)) as client:
            with pytest.raises(CredentialsRejected, match="does not exist or is disabled"):
                await client.describe_zones()
    assert fake.calls[0].error == "AuthFailure.SecretIdNotFound"


async def test_session_token_is_sent_and_checked() -> None:
    with FakeTeo(token=TOKEN) as fake:
        async with EdgeOneClient(settings_for(fake)) as client:
            await client.describe_zones()
        assert fake.calls[-1].headers["x-tc-token"] == TOKEN
        wrong = settings_for(fake, TENCENTCLOUD_SESSION_TOKEN="stsTokenExpired0123456789abcdef")
        async with EdgeOneClient(wrong) as client:
            with pytest.raises(CredentialsRejected, match="session token is invalid or has"):
                await client.describe_zones()


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        ("AuthFailure.SecretIdNotFound", CredentialsRejected, f"SecretId {HINT}"),
        ("AuthFailure.SignatureExpire", CredentialsRejected, "check this machine's clock"),
        ("AuthFailure.TokenFailure", CredentialsRejected, "session token"),
        (
            "UnauthorizedOperation.CamNoAuth",
            NotAuthorized,
            f"the API key {HINT} may not call DescribeOriginACL: add teo:DescribeOriginACL to "
            "its CAM policy",
        ),
        ("AuthFailure.UnauthorizedOperation", NotAuthorized, "teo:DescribeOriginACL"),
        ("ResourceNotFound.Zone", NotInZones, "in these zones"),
        ("RequestLimitExceeded", RateLimited, "backs off for 30 s"),
        ("InternalError.RouteError", ApiError, "internal error on DescribeOriginACL"),
        ("LimitExceeded.RateLimit", ApiError, "a quota is used up"),
        ("InvalidParameter.ZoneHasBeenDeleted", ApiError, "refused DescribeOriginACL"),
    ],
    ids=lambda v: v if (isinstance(v, str) and "." in v) or v == "RequestLimitExceeded" else None,
)
async def test_api_errors_are_worded(
    fake: FakeTeo, client: EdgeOneClient, code: str, kind: type[EdgeOneError], words: str
) -> None:
    fake.fail("DescribeOriginACL", code, "Detailed reason from the API.")
    with pytest.raises(kind) as caught:
        await client.describe_origin_acl(ZONE_ID)
    error = caught.value
    assert words in str(error)
    assert (error.action, error.code) == ("DescribeOriginACL", code)
    assert error.detail == "Detailed reason from the API."
    assert error.request_id  # quoted to support
    problem = error.problem()
    assert (problem.kind, str(problem.message)) == (error.kind, str(error))
    # In Chinese too: the API action, the error code and the CAM action stay as the API has them.
    chinese = problem.message.say("zh")
    assert_chinese(chinese)
    assert "DescribeOriginACL" in chinese or "SecretId" in chinese
    if kind is NotAuthorized:
        assert "teo:DescribeOriginACL" in chinese


async def test_not_authorized_names_the_cam_action(fake: FakeTeo, client: EdgeOneClient) -> None:
    fake.fail("CheckCnameStatus", "UnauthorizedOperation.NoPermission")
    with pytest.raises(NotAuthorized) as caught:
        await client.check_cname_status(ZONE_ID, ["shop.example.com"])
    assert caught.value.cam_action == "teo:CheckCnameStatus"


async def test_rate_limit_backs_off_before_calling_again(
    fake: FakeTeo, client: EdgeOneClient, clock: Clock
) -> None:
    fake.fail("DescribeZones", "RequestLimitExceeded", times=1)
    with pytest.raises(RateLimited):
        await client.describe_zones()
    with pytest.raises(RateLimited, match="waits 30 s more"):
        await client.describe_origin_acl(ZONE_ID)
    assert fake.actions() == ["DescribeZones"]  # the second call never left
    clock.advance(31)
    await client.describe_origin_acl(ZONE_ID)
    assert fake.actions() == ["DescribeZones", "DescribeOriginACL"]


async def test_timeout_is_worded(fake: FakeTeo) -> None:
    fake.delays["DescribeOriginACL"] = 1.0
    async with EdgeOneClient(settings_for(fake, EO_API_TIMEOUT="0.2")) as client:
        with pytest.raises(ApiTimeout) as caught:
            await client.describe_origin_acl(ZONE_ID)
    assert str(caught.value) == "EdgeOne API did not answer DescribeOriginACL within 0.2 s"
    assert caught.value.message.say("zh") == "EdgeOne API 没有在 0.2 秒内响应 DescribeOriginACL"


async def test_error_behind_a_charset_content_type_is_still_an_error(
    fake: FakeTeo, client: EdgeOneClient
) -> None:
    # The SDK only looks for Response.Error under exactly "application/json": a proxy adding a
    # charset would turn every error into an empty success if the client trusted it.
    fake.content_type = "application/json; charset=utf-8"
    answer = await client.describe_ip_region(["43.175.1.10"])
    assert answer.IPRegionInfo[0].IsEdgeOneIP == "yes"
    fake.fail("DescribeOriginACL", "UnauthorizedOperation.CamNoAuth")
    with pytest.raises(NotAuthorized):
        await client.describe_origin_acl(ZONE_ID)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "kind", "words"),
    [
        ("<html>502 Bad Gateway</html>", "text/html", 200, MalformedAnswer, "is not JSON"),
        ("{not json", "application/json", 200, MalformedAnswer, "is not JSON"),
        ({"Data": []}, "application/json", 200, MalformedAnswer, "not shaped like an API"),
        ({"Data": []}, "application/json; charset=utf-8", 200, MalformedAnswer, "no Response"),
        ({"Response": []}, "text/plain", 200, MalformedAnswer, "has no Response object"),
        (
            {"Response": {"OriginACLInfo": {"L7Hosts": "all"}, "RequestId": "r"}},
            "application/json; charset=utf-8",
            200,
            MalformedAnswer,
            "has OriginACLInfo.L7Hosts",
        ),
        (
            {"Response": {"Error": "denied", "RequestId": "r"}},
            "application/json; charset=utf-8",
            200,
            MalformedAnswer,
            "error without a code",
        ),
        (
            {"Response": {"Error": {"Message": "no code"}, "RequestId": "r"}},
            "application/json",
            200,
            MalformedAnswer,
            "not shaped like an API answer",
        ),
        ("Bad Gateway", "text/plain", 502, Unreachable, "HTTP error instead of an API answer"),
    ],
    ids=[
        "html",
        "broken-json",
        "no-response",
        "no-response-charset",
        "response-list",
        "wrong-type",
        "error-string",
        "error-no-code",
        "http-502",
    ],
)
async def test_malformed_answers(
    fake: FakeTeo,
    client: EdgeOneClient,
    body: Any,
    content_type: str,
    status: int,
    kind: type[EdgeOneError],
    words: str,
) -> None:
    fake.answer_raw("DescribeOriginACL", body, content_type=content_type, status=status)
    with pytest.raises(kind) as caught:
        await client.describe_origin_acl(ZONE_ID)
    assert words in str(caught.value)
    assert "DescribeOriginACL" in str(caught.value)
    chinese = caught.value.message.say("zh")
    assert_chinese(chinese)
    assert "DescribeOriginACL" in chinese


async def test_connection_refused() -> None:
    env = {
        "TENCENTCLOUD_SECRET_ID": SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
        "EO_API_ENDPOINT": f"127.0.0.1:{closed_port()}",
    }
    from bot.edgeone.settings import EdgeOneSettings

    settings = EdgeOneSettings.from_env(env)
    assert settings is not None
    async with EdgeOneClient(settings) as client:
        with pytest.raises(Unreachable, match="the connection was refused") as caught:
            await client.describe_zones()
    assert caught.value.message.say("zh").endswith("：连接被拒绝")


async def test_untrusted_certificate_is_refused() -> None:
    # Our httpx client replaces the SDK's: it must verify TLS (the SDK's was built without).
    with TLSFixtures() as tls, FakeTeo(ssl_context=tls.server_context("valid")) as fake:
        assert fake.env()["EO_API_ENDPOINT"].startswith("https://")
        async with EdgeOneClient(settings_for(fake)) as client:
            with pytest.raises(Unreachable, match="TLS certificate is not trusted") as caught:
                await client.describe_zones()
        assert_chinese(caught.value.message.say("zh"))
        assert "DescribeZones" in caught.value.message.say("zh")
        assert fake.calls == []


async def test_listings_follow_pages(fake: FakeTeo, client: EdgeOneClient) -> None:
    fake.world = World(zones=[zone(f"zone-{i:08d}", f"site{i}.example") for i in range(150)])
    zones = await client.describe_zones()
    assert len(zones) == 150
    assert [c.params["Offset"] for c in fake.calls] == [0, 100]


async def test_no_secret_in_logs_exceptions_or_output(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeTeo(token=TOKEN) as fake:
        async with EdgeOneClient(settings_for(fake, EO_API_TIMEOUT="0.3")) as client:
            await client.describe_zones()
            # A hostile (or careless) API echoing the credentials in its message.
            message = f"{SECRET_ID} {SECRET_KEY} {TOKEN}"
            fake.fail("DescribeOriginACL", "AuthFailure.SignatureFailure", message, times=1)
            with pytest.raises(CredentialsRejected) as caught:
                await client.describe_origin_acl(ZONE_ID)
            fake.delays["DescribeOriginACL"] = 1.0
            with pytest.raises(ApiTimeout) as late:
                await client.describe_origin_acl(ZONE_ID)
    # The SDK dumped its requests at DEBUG: they were seen, with the secret headers blanked.
    assert "SendRequest" in caplog.text
    assert "authorization: [redacted]" in caplog.text.lower()
    error = caught.value
    texts = [
        caplog.text,
        str(error),
        repr(error),
        str(error.detail),
        repr(error.problem()),
        str(late.value),
        *capsys.readouterr(),
    ]
    for text in texts:
        for secret in (SECRET_ID, SECRET_KEY, TOKEN):
            assert secret not in text
    assert error.detail == "[redacted] [redacted] [redacted]"
    assert capsys.readouterr() == ("", "")  # the SDK prints nothing


def assert_chinese(text: str) -> None:
    assert has_chinese(text), text
    assert english_runs(text) == [], text
