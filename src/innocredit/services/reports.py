"""The printable credit report (授信调查报告): the HTML page the web app renders for an application, turned into a
PDF with WeasyPrint (a maintained HTML/CSS-to-PDF library; it needs the system's Pango and HarfBuzz, and a CJK font
such as Noto Sans CJK for the Chinese text). The page's own stylesheet and inline SVG charts go into the PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pdf_from_html(html: str, static_dir: str | Path, base_url: str = "http://report.local/") -> bytes:
    """The PDF of a rendered report page. ``/static/…`` references are read from ``static_dir``; nothing is
    fetched from the network (any other URL is refused)."""
    import weasyprint
    import weasyprint.urls

    static = Path(static_dir).resolve()

    def fetch(url: str) -> Any:
        marker = "/static/"
        if marker in url:
            target = (static / url.split(marker, 1)[1].split("?", 1)[0]).resolve()
            if target.is_file() and static in target.parents:
                kind = "text/css" if target.suffix == ".css" else "application/octet-stream"
                response = getattr(weasyprint.urls, "URLFetcherResponse", None)
                if response is None:  # WeasyPrint before 68 takes a dict
                    return {"string": target.read_bytes(), "mime_type": kind}
                return response(url, body=target.read_bytes(), headers={"Content-Type": kind})
        raise ValueError(f"the report does not fetch {url}")

    return bytes(weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetch).write_pdf())
