"""Embedding forms on other sites: which posts to accept and who may frame the form. Pure."""

from urllib.parse import urlsplit

from revline.core.workspace import origin_normalize


def origin_of(url: str) -> str | None:
    """The origin of an http(s) address (normalised like the workspace's site origins), or None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    try:
        return origin_normalize(f"{parts.scheme}://{parts.netloc}")
    except ValueError:
        return None


def post_origin_allowed(
    *, origin: str, referer: str, allowed: frozenset[str], own: frozenset[str]
) -> bool:
    """May a form post coming from this Origin (or, without one, this Referer) be accepted?

    With no site origins configured every source is accepted (the honeypot and the rate limit
    still apply). Otherwise the post must come from one of them or from this site itself.
    """
    if not allowed:
        return True
    source = origin if origin and origin != "null" else referer
    source_origin = origin_of(source) if source else None
    return source_origin is not None and (source_origin in allowed or source_origin in own)


def frame_ancestors(allowed: frozenset[str]) -> str:
    """CSP directive letting this site and the workspace's site origins frame the form."""
    return " ".join(["frame-ancestors", "'self'", *sorted(allowed)])
