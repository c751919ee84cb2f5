"""Small server-made pages for the family link: expired, unknown. In the relative's language (their own when
the link names them, else the browser's), readable on a phone, with nothing loaded from elsewhere."""

from __future__ import annotations

from html import escape

from alerts.family.messages import ENGLISH, babel_locale, catalogues, page_strings


def language_from_header(accept_language: str | None) -> str:
    """The first language in an Accept-Language header that has a catalogue; English otherwise."""
    tags: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            tags.append((-quality, index, tag))
    for _, _, tag in sorted(tags):
        resolved = catalogues().resolve(tag)
        if resolved != ENGLISH or tag.lower().startswith("en"):
            return resolved
    return ENGLISH


def direction(language: str) -> str:
    return "rtl" if babel_locale(language).text_direction == "rtl" else "ltr"


def message_page(language: str, title_key: str, body_key: str) -> str:
    strings = page_strings(language, "")
    title, body = escape(strings[title_key]), escape(strings[body_key])
    lang = escape(language.replace("_", "-"))
    return f"""<!doctype html>
<html lang="{lang}" dir="{direction(language)}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>{title}</title>
  <link rel="stylesheet" href="/static/family/family.css">
</head>
<body>
  <main class="family-page">
    <section class="card notice" role="alert">
      <h1>{title}</h1>
      <p>{body}</p>
    </section>
  </main>
</body>
</html>
"""
