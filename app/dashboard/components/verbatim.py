"""Values from the ledger, the URL or an answer from Azure, shown exactly as they are.

Streamlit reads the text of ``st.markdown``, ``st.caption``, ``st.warning``, ``st.error``,
``st.info``, ``st.success``, headings, labels and help tooltips as Markdown (GitHub's
flavour, where a bare URL becomes a link) with its own colour directives, icons and LaTeX.
A value such as ``[x](http://evil)`` or ``![](http://evil/img.png)`` placed in one of them
becomes a link or a remote image. Escaping Markdown's characters is not enough, because a
bare URL still becomes a link after the escapes are read. So:

- a name or an id inside a sentence goes in ``code(value)``, an inline code span, which
  Markdown shows character for character and never turns into a link;
- free text (an error message, a hint) goes in ``st.text``, which Streamlit does not parse;
- rows stay in ``st.dataframe`` cells, which are text.
"""

from __future__ import annotations

import re

_BACKTICKS = re.compile(r"`+")


def code(value: object) -> str:
    """``value`` as a Markdown inline code span that shows it exactly (line breaks, which a
    span cannot hold, become spaces)."""
    text = " ".join(str(value).splitlines())
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    if text[:1] in ("", "`", " ") or text[-1:] in ("`", " "):
        # Markdown strips one space inside each fence when both are there: these keep a
        # value's own leading or trailing backtick or space.
        return f"{fence} {text} {fence}"
    return f"{fence}{text}{fence}"
