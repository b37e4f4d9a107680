"""Who is at the dashboard: the local person (local mode) or a signed-in person with a role.

With an access file the pages are shown only to someone who signed in (Streamlit's OIDC,
``st.login``; Microsoft Entra ID in the README) and whom the file names, by e-mail or by
an Entra group id in the token's ``groups`` claim. Without ``[auth]`` in
``.streamlit/secrets.toml`` the pages say only how to configure it.
"""

from __future__ import annotations

from typing import Any, Final

import streamlit as st

from app import audit
from app.access import LOCAL, Identity, current_access
from app.dashboard import db
from app.local_mode import NOTE

_KEY: Final = "lens_identity"
SETUP: Final = """\
This lens has an access file, so everyone signs in. Add the sign-in provider to
`.streamlit/secrets.toml` next to the server and restart it. For Microsoft Entra ID:

```toml
[auth]
redirect_uri = "https://<this lens>/oauth2callback"
cookie_secret = "<a long random string>"
client_id = "<application (client) id>"
client_secret = "<client secret>"
server_metadata_url = "https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration"
```

Register the application in Entra ID with that redirect URI; to match people by group,
add the `groups` claim to its ID token. The README's "Sign-in and roles" has the steps.
"""


def auth_configured() -> bool:
    """``[auth]`` is in the secrets (a missing secrets file is the same as none)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file, or one that does not parse: no sign-in configured
        return False


def _claims() -> dict[str, Any]:
    return dict(st.user.to_dict())


def signed_in() -> Identity:
    """The identity the pages serve; stops the script with the right screen otherwise."""
    policy = current_access()
    if policy is None:
        st.session_state[_KEY] = LOCAL
        return LOCAL
    if not auth_configured():
        st.title("Sign-in is not configured")
        st.markdown(SETUP)
        st.stop()
    if not st.user.is_logged_in:
        st.title("aoai-lens")
        st.write("Sign in to see the dashboards your role allows.")
        st.button("Sign in", on_click=st.login, type="primary")
        st.stop()
    claims = _claims()
    email = claims.get("email") or claims.get("preferred_username")
    groups = claims.get("groups")
    identity = policy.identity_for_user(
        str(email) if email else None, [str(g) for g in groups] if isinstance(groups, list) else []
    )
    if identity is None:
        if st.session_state.get("lens_denied") != email:
            st.session_state["lens_denied"] = email
            audit.record(db.get_store(), Identity(str(email or "?"), ""), "denied", "sign-in", {})
        st.title("No access")
        st.write(f"{email or 'This account'} is not listed in this lens's access file.")
        st.caption("Ask an admin to add your e-mail address or one of your groups.")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    if st.session_state.get(_KEY) != identity:
        audit.record(db.get_store(), identity, "sign-in", "dashboard", {"via": "oidc"})
    st.session_state[_KEY] = identity
    return identity


def current_identity() -> Identity:
    """The identity ``signed_in`` found for this session's run (pages call this)."""
    identity = st.session_state.get(_KEY)
    if isinstance(identity, Identity):
        return identity
    if current_access() is None:
        return LOCAL
    st.stop()  # a page run without the entrypoint's sign-in: show nothing
    raise AssertionError("st.stop() returned")


def sidebar_note(identity: Identity) -> None:
    """Local mode's note, or who is signed in, in which role, and the way out."""
    if current_access() is None:
        st.sidebar.caption(NOTE)
        return
    tenants = f", tenants {', '.join(identity.tenants)}" if identity.tenants else ""
    st.sidebar.caption(f"Signed in as {identity.actor} ({identity.role}{tenants}).")
    st.sidebar.button("Sign out", on_click=st.logout)
