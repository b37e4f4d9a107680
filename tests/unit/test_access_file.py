"""The access file: what a well-formed one grants, and what each malformed entry gets (an
error naming the file and the entry)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from app import access
from app.access import AccessFileError, load_access_file

GOOD = f"""
[[users]]
email = "Ana@Contoso.com"
role = "finops"
[[users]]
group = "5d1f0c1e-aaaa-bbbb-cccc-000000000001"
role = "tenant"
tenants = ["contoso", "contoso-eu"]
[[users]]
group = "5d1f0c1e-aaaa-bbbb-cccc-000000000002"
role = "safety"
[[tokens]]
name = "collector-weu"
sha256 = "{hashlib.sha256(b"s3cret").hexdigest()}"
role = "ingest"
[[tokens]]
name = "fabrikam-reports"
sha256 = "{hashlib.sha256(b"other").hexdigest().upper()}"
role = "tenant"
tenants = ["fabrikam"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "access.toml"
    path.write_text(text)
    return path


def test_people_and_tokens_get_their_roles_and_tenants(tmp_path: Path) -> None:
    policy = load_access_file(write(tmp_path, GOOD))
    finops = policy.identity_for_user("ana@contoso.COM", [])
    assert finops is not None and (finops.actor, finops.role, finops.tenants) == (
        "ana@contoso.com", "finops", None,
    )  # fmt: skip
    member = policy.identity_for_user("bo@contoso.com", ["5D1F0C1E-AAAA-BBBB-CCCC-000000000001"])
    assert member is not None and member.role == "tenant"
    assert member.tenants == ("contoso", "contoso-eu")
    both = policy.identity_for_user("ana@contoso.com", ["5d1f0c1e-aaaa-bbbb-cccc-000000000002"])
    assert both is not None and both.role == "finops"  # an e-mail entry comes before groups
    assert policy.identity_for_user("eve@contoso.com", ["another-group"]) is None
    assert policy.identity_for_user(None, []) is None

    collector = policy.identity_for_token("s3cret")
    assert collector is not None and (collector.actor, collector.role) == (
        "collector-weu",
        "ingest",
    )
    reports = policy.identity_for_token("other")  # an upper-case digest is the same digest
    assert reports is not None and reports.tenants == ("fabrikam",)
    assert policy.identity_for_token("s3cret ") is None
    assert policy.identity_for_token("") is None

    assert collector.may("ingest") and not collector.may("read")
    assert finops.may("read") and not finops.may("content") and not finops.may("prices.apply")


def test_every_digest_is_compared_in_constant_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = load_access_file(write(tmp_path, GOOD))
    compared: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(access.hmac, "compare_digest", counting)
    for token in ("s3cret", "other", "unknown"):
        compared.clear()
        policy.identity_for_token(token)
        assert len(compared) == 2  # no early exit on the first match


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[[users]]\nemail = "a@b.c"\nrole = "owner"\n', "users[1]: unknown role 'owner'"),
        (
            '[[users]]\nemail = "a@b.c"\nrole = "admin"\nmail = "x"\n',
            "users[1]: unknown key 'mail'",
        ),
        ('[[users]]\nrole = "admin"\n', "users[1]: give either email or group"),
        ('[[users]]\nemail = "a@b.c"\ngroup = "g"\nrole = "admin"\n', "give either email or group"),
        ('[[users]]\nemail = "not-an-address"\nrole = "admin"\n', "is not an e-mail address"),
        ('[[users]]\ngroup = "g"\nrole = "tenant"\n', "users[1]: the tenant role needs tenants"),
        ('[[users]]\ngroup = "g"\nrole = "tenant"\ntenants = []\n', "non-empty list"),
        (
            '[[tokens]]\nname = "collector-weu"\nsha256 = "abc"\nrole = "ingest"\n',
            "tokens[1] (collector-weu): sha256 must be the 64 hex digits",
        ),
        (
            f'[[tokens]]\nname = "a"\nsha256 = "{"g" * 64}"\nrole = "ingest"\n',
            "tokens[1] (a): sha256",
        ),
        (
            f'[[tokens]]\nname = "a"\nsha256 = "{"a" * 64}"\nrole = "ingest"\n'
            f'[[tokens]]\nname = "b"\nsha256 = "{"a" * 64}"\nrole = "admin"\n',
            "tokens[2] (b) has the digest of another token",
        ),
        (
            f'[[tokens]]\nname = "a"\nsha256 = "{"a" * 64}"\nrole = "ingest"\n'
            f'[[tokens]]\nname = "a"\nsha256 = "{"b" * 64}"\nrole = "ingest"\n',
            "two tokens are named 'a'",
        ),
        ('[[tokens]]\nsha256 = "x"\nrole = "ingest"\n', "tokens[1]: name must be"),
        ("[settings]\nx = 1\n", "unknown section 'settings'"),
        ("users = 3\n", "users must be a list of [[users]] tables"),
        ("[[users]\n", "is not valid TOML"),
    ],
)
def test_a_malformed_entry_is_refused_by_name(tmp_path: Path, text: str, named: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(AccessFileError) as refused:
        load_access_file(path)
    assert named in refused.value.message
    assert str(path) in refused.value.message
    assert refused.value.hint


def test_a_token_is_never_written_only_its_digest(tmp_path: Path) -> None:
    # A token pasted where the digest goes is refused, and the hint says how to digest it.
    path = write(tmp_path, '[[tokens]]\nname = "a"\nsha256 = "s3cret"\nrole = "ingest"\n')
    with pytest.raises(AccessFileError) as refused:
        load_access_file(path)
    assert "sha256sum" in refused.value.hint


def test_the_shipped_example_file_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "access.example.toml"
    policy = load_access_file(example)
    assert {user.role for user in policy.users} == {"finops", "admin", "safety", "tenant"}
    assert [token.name for token in policy.tokens] == ["collector-weu", "finops-monthly-export"]
