"""Package discovery, the one thing pyproject.toml cannot say: every package is found, none listed.

The sample news site lives in `tests/site` but ships as `newsarchive_site` (the `demo` command serves
it), and `[tool.setuptools.packages.find]` cannot see a remapped directory. So both trees are found
here with `find_packages`: a new subpackage anywhere is in the wheel without anyone listing it
(tests/test_packaging.py builds the wheel and checks).
"""

from setuptools import find_packages, setup

SAMPLE_SITE = "tests/site"

setup(
    packages=[
        *find_packages(include=["archive", "archive.*", "crawler", "crawler.*", "migrations", "migrations.*"]),
        "newsarchive_site",
        *(f"newsarchive_site.{name}" for name in find_packages(SAMPLE_SITE)),
    ],
    package_dir={"newsarchive_site": SAMPLE_SITE},
)
