"""``verbatim.code``: any value becomes an inline code span that shows it exactly."""

from __future__ import annotations

import html

import pytest
from markdown_it import MarkdownIt

from app.dashboard.components.verbatim import code

CASES = [
    ("gpt-4o-prod", "`gpt-4o-prod`"),
    ("[x](http://evil)", "`[x](http://evil)`"),
    ("![](http://evil/img.png)", "`![](http://evil/img.png)`"),
    ("**bold** <img src=x>", "`**bold** <img src=x>`"),
    ("a `tick` b", "``a `tick` b``"),
    ("`leading", "`` `leading ``"),
    ("trailing ", "` trailing  `"),
    (" both ", "`  both  `"),
    ("", "`  `"),
    ("two\n\n# lines", "`two  # lines`"),
]


@pytest.mark.parametrize(("value", "span"), CASES)
def test_a_value_becomes_a_code_span_that_shows_it_exactly(value: str, span: str) -> None:
    assert code(value) == span
    shown = " ".join(value.splitlines()) or "  "
    rendered = MarkdownIt("commonmark").render(f"before {span} after")
    assert rendered == f"<p>before <code>{html.escape(shown, quote=False)}</code> after</p>\n"
