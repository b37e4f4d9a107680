"""Secret settings as Key Vault references, read by the real ``SecretClient`` from a local
vault speaking the secrets REST wire over HTTPS (challenge, bearer token, secret bundle).

What each case gets: a reference is replaced by the secret (never shown in ``repr``), read
once per process; a rotated secret is read again after ``forget_secrets``; a pinned version
stays pinned; 403 says which role to assign; 404 says the secret does not exist; a
malformed reference is refused, never used as the key; a vault that cannot be reached says
so. Entra ID itself cannot run here: the credential hands out a fixed token.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from azure.core.credentials import AccessToken
from azure.keyvault.secrets import SecretClient
from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from aoai_client import ClientConfig, build_client, telemetry
from aoai_client import key_vault as vault_module
from aoai_client.chat import ChatRequest
from app import key_vault, lens_client
from app.config import load_settings
from app.dashboard import playground_engine
from app.key_vault import KeyVaultError, SecretReader, SecretReference, parse_reference
from app.server.oidc_secrets import auth_secrets
from simulator import SimulatorConfig, build_simulator_app
from tests.fakes.key_vault import FakeKeyVault
from tests.threaded_servers import ThreadedServer


class FixedToken:
    """Stands in for DefaultAzureCredential: Entra ID is not reachable from here."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken("vault-access-token", int(time.time()) + 3600)


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[FakeKeyVault]:
    server = FakeKeyVault(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def credential(vault: FakeKeyVault) -> Iterator[FixedToken]:
    token = FixedToken()

    def client(url: str) -> SecretClient:
        # The vault is 127.0.0.1, not *.vault.azure.net: the challenge's resource cannot
        # match its domain, and its certificate is the test's own.
        return SecretClient(
            url, token, verify_challenge_resource=False, connection_verify=str(vault.cert_path)
        )

    key_vault.use_reader(SecretReader(client))
    yield token
    key_vault.use_reader(SecretReader())


@pytest.fixture
def own_telemetry() -> Iterator[None]:
    """The playground configures this process's telemetry (and instruments ``openai``)
    once; shut it down afterwards so later tests instrument ``openai`` their own way."""
    yield
    made = telemetry.current_telemetry()
    if made is not None:
        made.shutdown()


def reference(vault: FakeKeyVault, name: str, version: str = "") -> str:
    return f"@Microsoft.KeyVault(SecretUri={vault.url}/secrets/{name}/{version})"


def test_a_reference_is_replaced_by_the_secret_read_once(
    vault: FakeKeyVault, credential: FixedToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.set("aoai-key", "0123456789abcdef0123456789abcdef")
    vault.set("lens-token", "token-from-the-vault")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", reference(vault, "aoai-key"))
    monkeypatch.setenv("LENS_TOKEN", f"  {reference(vault, 'lens-token')}  ")
    settings = load_settings()
    key = settings.azure_openai_api_key
    assert key is not None and key.get_secret_value() == "0123456789abcdef0123456789abcdef"
    assert settings.lens_token is not None
    assert settings.lens_token.get_secret_value() == "token-from-the-vault"
    assert "0123456789abcdef" not in repr(settings)
    assert credential.scopes == [("https://vault.azure.net/.default",)]  # from the challenge
    assert vault.tokens_seen == ["vault-access-token", "vault-access-token"]
    load_settings()
    assert len(vault.reads) == 2  # kept for the process: no new read


def test_a_rotated_secret_is_read_again_after_forget_and_a_pinned_version_stays(
    vault: FakeKeyVault, credential: FixedToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = vault.set("aoai-key", "old-key")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", reference(vault, "aoai-key"))
    monkeypatch.setenv("LENS_TOKEN", reference(vault, "aoai-key", first))
    assert _key() == "old-key"
    vault.rotate("aoai-key", "new-key")
    assert _key() == "old-key"  # not read again until told to
    key_vault.forget_secrets()
    assert _key() == "new-key"
    token = load_settings().lens_token
    assert token is not None and token.get_secret_value() == "old-key"  # pinned


def _key() -> str:
    key = load_settings().azure_openai_api_key
    assert key is not None
    return key.get_secret_value()


def test_refusals_and_missing_secrets_say_what_to_fix(
    vault: FakeKeyVault, credential: FixedToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.set("locked", "x")
    vault.forbidden.add("locked")
    monkeypatch.setenv("LOG_ANALYTICS_ACCESS_TOKEN", reference(vault, "locked"))
    with pytest.raises(KeyVaultError) as refused:
        load_settings()
    assert refused.value.message.startswith("LOG_ANALYTICS_ACCESS_TOKEN: reading the secret")
    assert "refused (403)" in refused.value.message and vault.url in refused.value.message
    assert "Key Vault Secrets User" in refused.value.hint

    monkeypatch.setenv("LOG_ANALYTICS_ACCESS_TOKEN", reference(vault, "no-such-secret"))
    with pytest.raises(KeyVaultError) as missing:
        load_settings()
    assert "'no-such-secret'" in missing.value.message and "does not exist" in missing.value.message

    monkeypatch.setenv("LOG_ANALYTICS_ACCESS_TOKEN", "@Microsoft.KeyVault(SecretUri=http://x)")
    with pytest.raises(KeyVaultError) as malformed:
        load_settings()
    assert "SecretUri must be https://" in malformed.value.message


def test_a_vault_that_cannot_be_reached_says_so(
    credential: FixedToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = "https://127.0.0.1:9/secrets/aoai-key/"  # the discard port: nothing listens
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", f"@Microsoft.KeyVault(SecretUri={closed})")
    with pytest.raises(KeyVaultError) as unreachable:
        load_settings()
    assert "cannot be reached" in unreachable.value.message
    assert "AZURE_OPENAI_API_KEY" in unreachable.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "@Microsoft.KeyVault(SecretUri=https://lens.vault.azure.net/secrets/aoai-key/)",
            SecretReference("https://lens.vault.azure.net", "aoai-key"),
        ),
        (
            "@Microsoft.KeyVault(SecretUri=https://lens.vault.azure.net/secrets/aoai-key/ab12cd)",
            SecretReference("https://lens.vault.azure.net", "aoai-key", "ab12cd"),
        ),
        (
            "@microsoft.keyvault(VaultName=lens; SecretName=aoai-key; SecretVersion=ab12)",
            SecretReference("https://lens.vault.azure.net", "aoai-key", "ab12"),
        ),
        ("0123456789abcdef0123456789abcdef", None),  # the secret itself
        ("InstrumentationKey=00000000-0000-0000-0000-000000000000", None),
    ],
)
def test_reference_forms(text: str, expected: SecretReference | None) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "@Microsoft.KeyVault(SecretName=aoai-key)",
        "@Microsoft.KeyVault(VaultName=x;SecretName=aoai-key)",  # vault names are 3-24 chars
        "@Microsoft.KeyVault(SecretUri=https://lens.vault.azure.net/keys/aoai-key)",
        "@Microsoft.KeyVault(garbage)",
    ],
)
def test_a_malformed_reference_is_refused(text: str) -> None:
    with pytest.raises(vault_module.KeyVaultError):
        parse_reference(text)


class KeyChecked:
    """Azure OpenAI's key check in front of the simulator: only the vault's latest key."""

    def __init__(self, app: Any, vault: FakeKeyVault, name: str) -> None:
        self.app, self.vault, self.name = app, vault, name
        self.refused = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            latest = self.vault.versions[self.name][-1][1]
            if Headers(scope=scope).get("api-key") != latest:
                self.refused += 1
                body = {"error": {"code": "401", "message": "Access denied due to invalid "
                        "subscription key or wrong API endpoint."}}  # fmt: skip
                await JSONResponse(body, status_code=401)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def test_a_call_refused_for_a_rotated_key_reads_the_key_again_and_is_sent_once_more(
    vault: FakeKeyVault,
    credential: FixedToken,
    monkeypatch: pytest.MonkeyPatch,
    own_telemetry: None,
) -> None:
    vault.set("aoai-key", "key-one")
    checked = KeyChecked(build_simulator_app(SimulatorConfig(latency_scale=0)), vault, "aoai-key")
    with ThreadedServer(checked) as resource:
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", resource.url)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", reference(vault, "aoai-key"))
        lens_client.forget_client()
        request = ChatRequest("gpt-4o-prod", "hello")
        try:
            assert playground_engine.chat_with_current_key(request).kind == "ok"
            vault.rotate("aoai-key", "key-two")  # the resource now wants the new key
            again = playground_engine.chat_with_current_key(request)
            assert again.kind == "ok" and again.text
            assert checked.refused == 1  # the old key once, then the new one
            assert vault.reads[-1].startswith("aoai-key/") and len(vault.reads) == 2
        finally:
            lens_client.forget_client()


def test_a_refused_key_that_is_not_from_a_vault_is_answered_as_is(
    vault: FakeKeyVault, monkeypatch: pytest.MonkeyPatch, own_telemetry: None
) -> None:
    vault.set("aoai-key", "the-right-key")
    checked = KeyChecked(build_simulator_app(SimulatorConfig(latency_scale=0)), vault, "aoai-key")
    with ThreadedServer(checked) as resource:
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", resource.url)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "a-wrong-key")
        lens_client.forget_client()
        try:
            refused = playground_engine.chat_with_current_key(ChatRequest("gpt-4o-prod", "hi"))
        finally:
            lens_client.forget_client()
    assert refused.kind == "error" and refused.http_status == 401
    assert checked.refused == 1  # not sent again


def test_the_instrumented_client_takes_its_key_from_key_vault(
    vault: FakeKeyVault, credential: FixedToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From the environment: the reference becomes a key read when needed, never the key.
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://aoai.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", reference(vault, "aoai-key"))
    from_env = ClientConfig.from_env()
    assert isinstance(from_env.api_key, vault_module.KeyVaultKey)
    assert "aoai-key" in repr(from_env.api_key) and "@Microsoft" not in repr(from_env.api_key)

    vault.set("aoai-key", "key-one")
    reader = SecretReader(
        lambda url: SecretClient(
            url, credential, verify_challenge_resource=False, connection_verify=str(vault.cert_path)
        )
    )
    parsed = vault_module.parse_reference(reference(vault, "aoai-key"))
    assert parsed is not None
    key = vault_module.KeyVaultKey(parsed, reader)
    checked = KeyChecked(build_simulator_app(SimulatorConfig(latency_scale=0)), vault, "aoai-key")
    with ThreadedServer(checked) as resource:
        client = build_client(ClientConfig(endpoint=resource.url, api_key=key, max_retries=0))
        ask = {"model": "gpt-4o-prod", "messages": [{"role": "user", "content": "hi"}]}
        assert client.chat.completions.create(**ask).choices  # type: ignore[call-overload]
        vault.rotate("aoai-key", "key-two")
        with pytest.raises(openai.AuthenticationError):  # the old key, kept for max_age_s
            client.chat.completions.create(**ask)  # type: ignore[call-overload]
        key.forget()  # what a caller does on 401, or what max_age_s does in time
        assert client.chat.completions.create(**ask).choices  # type: ignore[call-overload]
    assert checked.refused == 1


def test_the_sign_in_client_secret_may_be_a_key_vault_reference(
    vault: FakeKeyVault, credential: FixedToken, tmp_path: Path
) -> None:
    vault.set("oidc-secret", "the-client-secret")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "https://lens.contoso.com/oauth2callback"\n'
        'cookie_secret = "c"\n'
        f'client_secret = "{reference(vault, "oidc-secret")}"\n'
        "[auth.microsoft]\n"
        'client_id = "lens"\n'
        f'client_secret = "{reference(vault, "oidc-secret")}"\n'
    )
    resolved = auth_secrets(secrets)
    assert resolved is not None
    assert resolved["auth"]["client_secret"] == "the-client-secret"
    assert resolved["auth"]["microsoft"]["client_secret"] == "the-client-secret"
    assert resolved["auth"]["redirect_uri"] == "https://lens.contoso.com/oauth2callback"

    secrets.write_text('[auth]\nclient_secret = "plain"\n')
    assert auth_secrets(secrets) is None  # nothing to read: Streamlit reads the file
    assert auth_secrets(tmp_path / "absent.toml") is None

    secrets.write_text(f'[auth]\nclient_secret = "{reference(vault, "gone")}"\n')
    with pytest.raises(KeyVaultError) as missing:
        auth_secrets(secrets)
    assert missing.value.message.startswith("[auth] client_secret: the secret 'gone'")
