"""One spider class per bundled site profile, so `scrapy crawl morningstar` works as users expect."""

from __future__ import annotations

from crawler.sites import available_profiles
from crawler.spiders.news import NewsSpider


def _spider_for(profile_name: str) -> type[NewsSpider]:
    return type(
        f"{profile_name.title().replace('-', '').replace('_', '')}Spider",
        (NewsSpider,),
        {"name": profile_name, "profile_name": profile_name, "__module__": __name__},
    )


for _name in available_profiles():
    globals()[f"{_name}_spider"] = _spider_for(_name)
