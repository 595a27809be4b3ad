"""Page chrome shared by every page: head, header and menus, appeal box, newsletter, footer.

Chrome is what an extractor must leave out of an article's text, so it is deliberately wordy.
"""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from .assets import ROBOTS_DENIED_IMAGE, STYLESHEETS
from .plan import SECTIONS

LONDON = ZoneInfo("Europe/London")

_LIBRARIES = ",".join(
    f"{group}/{name}"
    for group in ("core", "system", "morningstar", "views", "paragraphs", "ms_paywall", "ms_ads")
    for name in ("base", "drupal", "once", "ajax", "dialog", "messages", "tabledrag", "fonts",
                 "global-styling", "images", "menus", "pager", "lazyload", "cookies")
)
DRUPAL_SETTINGS = json.dumps({
    "path": {"baseUrl": "/", "pathPrefix": "", "currentPathIsAdmin": False, "isFront": False,
             "currentLanguage": "en"},
    "pluralDelimiter": "\u0003",
    "suppressDeprecationErrors": True,
    "ajaxPageState": {"libraries": _LIBRARIES, "theme": "morningstar", "theme_token": None},
    "ajaxTrustedUrl": {"/search/node": True},
    "gtag": {"tagId": "G-XXXXXXXXXX", "otherIds": [], "events": [], "additionalConfigInfo": []},
    "ms_paywall": {"meter": 3, "window_days": 30, "selectors": [".field--name-body p"]},
    "user": {"uid": 0, "permissionsHash": "3c6f1b0e" * 8},
})


def esc(text: str) -> str:
    """Escape text for element content or a double-quoted attribute."""
    return escape(text, quote=True)


def long_date(moment: datetime) -> str:
    """"22 August 2025" in London time, as the site prints dates next to stories."""
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%B %Y}"


def head(title: str, extra: str = "", charset: str = "utf-8") -> str:
    """<head> with stylesheets and scripts; `extra` carries canonical, meta and JSON-LD."""
    if charset == "utf-8":
        charset_tag = '<meta charset="utf-8" />'
    else:
        charset_tag = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}" />'
    styles = "\n".join(  # the last one from the CDN ({cdn}: another origin)
        f'<link rel="stylesheet" media="all" href="{"{cdn}" if name == "uV4bXo" else ""}/sites/default/files/css/css_{name}.css?t=q9x2" />'
        for name in STYLESHEETS
    )
    return f"""<head>
{charset_tag}
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<meta name="Generator" content="Drupal 10 (https://www.drupal.org)" />
<meta name="MobileOptimized" content="width" />
<meta name="HandheldFriendly" content="true" />
<title>{esc(title)} | Morning Star</title>
<link rel="icon" href="/themes/custom/morningstar/favicon.ico" type="image/vnd.microsoft.icon" />
{extra}
{styles}
<script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXXXXXXXX"></script>
</head>"""


def header() -> str:
    """Skip link, logo, main and secondary menus."""
    sections = "\n".join(
        f'<li class="menu-item"><a href="{path}" data-drupal-link-system-path="taxonomy/term/{i}">{name}</a></li>'
        for i, (path, name, _letter) in enumerate(SECTIONS, start=11)
    )
    topics = "\n".join(
        f'<li class="menu-item"><a href="/topic/{label.lower().replace(" ", "-")}">{label}</a></li>'
        for label in ("Cost of living", "Strikes", "NHS", "Housing", "Palestine", "Ukraine", "Climate",
                      "Trade unions", "Labour Party", "Reform UK", "Scotland", "Wales", "Ireland",
                      "Education", "Racism", "Peace", "Women", "Football", "Cricket", "Books",
                      "Theatre", "Music", "Film", "Letters", "Obituaries", "Science")
    )
    return f"""<a href="#main-content" class="visually-hidden focusable skip-link">Skip to main content</a>
<div class="dialog-off-canvas-main-canvas" data-off-canvas-main-canvas>
<div class="layout-container">
<header role="banner" class="site-header">
<div class="region region-header">
<div class="block block-system block-system-branding-block">
<a href="/" rel="home" class="site-logo"><img src="/themes/custom/morningstar/logo.svg" alt="Home" /></a>
<div class="site-slogan">The people’s daily paper since 1930</div>
</div>
<nav role="navigation" aria-labelledby="block-mainnavigation-menu" class="block block-menu navigation menu--main">
<h2 class="visually-hidden" id="block-mainnavigation-menu">Main navigation</h2>
<ul class="menu">
<li class="menu-item"><a href="/" data-drupal-link-system-path="&lt;front&gt;">Home</a></li>
{sections}
<li class="menu-item"><a href="/subscribe/">Subscribe</a></li>
<li class="menu-item"><a href="/subscribe/donate">Donate</a></li>
</ul>
</nav>
<nav role="navigation" class="block block-menu navigation menu--account">
<ul class="menu"><li class="menu-item"><a href="/user/login">Log in</a></li><li class="menu-item"><a href="/subscribe/">Subscribe from £1</a></li></ul>
</nav>
<nav role="navigation" class="block block-menu navigation menu--topics" aria-label="Trending topics">
<ul class="menu menu--topics">
{topics}
</ul>
</nav>
<form class="search-block-form" action="/search/node" method="get" accept-charset="UTF-8">
<label for="edit-keys" class="visually-hidden">Search</label>
<input type="search" id="edit-keys" name="keys" size="15" maxlength="128" placeholder="Search the Morning Star" />
</form>
</div>
</header>"""


def appeal_box(tag: str = "div", css_class: str = "block block-ms-appeal") -> str:
    """The fundraising appeal that follows every article."""
    return f"""<{tag} class="{css_class}" id="block-anniversaryappeal">
<h2 class="block-title">The 95th Anniversary Appeal</h2>
<p class="appeal-lead">Support the Morning Star</p>
<p>We’re the only daily paper in Britain owned by its readers. We rely on your donations to keep reporting on the struggles that matter — from picket lines to peace camps.</p>
<p>Please give what you can today: every pound goes into journalism, not shareholders’ pockets.</p>
<a class="button button--donate" href="/subscribe/donate">Donate to the appeal</a>
</{tag}>"""


def free_limit_box(css_class: str) -> str:
    """What a cookie-less reader sees where a truncated article stops."""
    return f"""<div class="{css_class}">
<p class="paywall-title">You have reached the free limit.</p>
<p>Subscribe to continue reading.</p>
<a class="button" href="/subscribe/">Subscribe now</a> <a href="/user/login">Already a subscriber? Log in</a>
</div>"""


def newsletter_box() -> str:
    """Sign-up form that some templates drop into the middle of an article."""
    return """<div class="newsletter-signup block-newsletter">
<h4>Get the Morning Star in your inbox</h4>
<p>Sign up to our newsletter for the day’s top stories, delivered free every morning.</p>
<form action="/newsletter/subscribe" method="post"><input type="email" name="email" placeholder="Your email" /><button type="submit">Sign up</button></form>
</div>"""


def footer() -> str:
    """Footer menus, legal text and the Drupal settings script that every page carries."""
    links = "\n".join(
        f'<li><a href="/{slug}">{label}</a></li>'
        for slug, label in (
            ("about-us", "About us"), ("contact", "Contact"), ("advertise", "Advertise"),
            ("subscribe/", "Subscribe"), ("privacy", "Privacy policy"), ("terms", "Terms and conditions"),
            ("cookie-policy", "Cookie policy"), ("pprs", "People’s Press Printing Society"),
            ("archive", "Archive"), ("letters", "Letters"), ("jobs", "Jobs"), ("shop", "Shop"),
            ("rss.xml", "RSS"), ("fighting-fund", "Fighting fund"), ("events", "Events"),
        )
    )
    return f"""<footer role="contentinfo" class="site-footer">
<div class="region region-footer">
<nav role="navigation" class="block block-menu navigation menu--footer"><ul class="menu">
{links}
</ul></nav>
<div class="footer-legal">
<p>The Morning Star is published by the People’s Press Printing Society, a readers’ co-operative. Registered office: William Rust House, 52 Beachy Road, London E3 2NS. © 2026 Morning Star. All rights reserved.</p>
<p>The Morning Star is regulated by IMPRESS. Complaints about editorial content may be made to the editor.</p>
</div>
<p class="print-badge"><img src="{ROBOTS_DENIED_IMAGE}" alt="" width="8" height="8" /></p>
<ul class="social"><li><a href="https://twitter.com/M_Star_Online">Twitter</a></li><li><a href="https://www.facebook.com/MorningStarOnline">Facebook</a></li><li><a href="https://www.instagram.com/morningstaronline">Instagram</a></li></ul>
</div>
</footer>
</div>
</div>
<script type="application/json" data-drupal-selector="drupal-settings-json">{DRUPAL_SETTINGS}</script>
<script src="/sites/default/files/js/js_kP3xW9.js?scope=footer&amp;delta=0"></script>
<script src="/sites/default/files/js/js_Ae71Lm.js?scope=footer&amp;delta=1"></script>"""


def document(title: str, head_extra: str, body_class: str, main: str, charset: str = "utf-8") -> str:
    """A whole HTML document around `main`."""
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr" prefix="og: https://ogp.me/ns#">
{head(title, head_extra, charset)}
<body class="{body_class}">
{header()}
<main role="main" class="site-main"><a id="main-content" tabindex="-1"></a>
<div class="region region-content">
{main}
</div>
</main>
{footer()}
</body>
</html>
"""
