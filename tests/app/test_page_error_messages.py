"""The pages' one way to show an error (``states.show_error``): a fixed title as the error,
then the message and the hint as plain text, so a value quoted in them (a file name, a
setting, a name from the ledger) is never read as Markdown; an error that is not a
``LensError`` is one line with an id (``script_errors.report_script_error``)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def shown_lens_error() -> None:
    from app.dashboard.components.states import show_error
    from lens_errors import NotFoundError

    show_error(
        NotFoundError("no tenant named [x](http://evil.example)", "pick one of **a**, b"),
        "This tenant cannot be shown.",
    )


def escaped_lens_error() -> None:
    from app.server.script_errors import report_script_error
    from lens_errors import ConfigError

    report_script_error(
        ConfigError("tenants.toml: rule 1: kind must be one of", "see LENS_TENANTS")
    )


def escaped_bug() -> None:
    from app.server.script_errors import report_script_error

    report_script_error(RuntimeError("a detail for the log only"))


def test_a_lens_error_shows_title_message_and_hint_as_text() -> None:
    at = AppTest.from_function(shown_lens_error).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["This tenant cannot be shown."]
    assert [t.value for t in at.text] == [
        "no tenant named [x](http://evil.example)",
        "pick one of **a**, b",
    ]
    assert not at.markdown  # nothing of the error was read as Markdown


def test_an_error_escaping_a_page_is_shown_the_same_way() -> None:
    at = AppTest.from_function(escaped_lens_error).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["This page cannot be shown."]
    assert [t.value for t in at.text] == [
        "tenants.toml: rule 1: kind must be one of",
        "see LENS_TENANTS",
    ]


def test_a_bug_is_one_line_with_an_id() -> None:
    at = AppTest.from_function(escaped_bug).run()
    assert not at.exception
    (line,) = [e.value for e in at.error]
    assert line.startswith("Something went wrong on this page (error id ")
    assert "a detail for the log only" not in line
    assert not at.text
