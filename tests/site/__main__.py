"""Command line: `python -m newsarchive_site serve|truth` for manual crawls and benchmarks."""

from __future__ import annotations

import argparse
import logging
import sys
import threading

from .build import build_site
from .clarion import build_clarion
from .model import Site
from .server import serve
from .variants import build_variants


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsarchive_site", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve the site until interrupted")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=0)
    dump = commands.add_parser("truth", help="print the ground truth as JSON")
    for command in (run, dump):
        command.add_argument("--articles", type=int, default=None, help="default: 60 (morningstar), 24 (clarion)")
        command.add_argument("--seed", type=int, default=None)
        command.add_argument("--publisher", choices=("morningstar", "clarion", "variants"), default="morningstar",
                             help="which sample publisher (clarion: --profile tests/site/clarion.toml; "
                                  "variants: the generic profile)")
    return parser


def _build(options: argparse.Namespace) -> Site:
    if options.publisher == "clarion":
        return build_clarion(options.articles or 24, 2 if options.seed is None else options.seed)
    if options.publisher == "variants":
        return build_variants()
    return build_site(options.articles or 60, 1 if options.seed is None else options.seed)


def main(args: list[str] | None = None) -> int:
    options = _parser().parse_args(args)
    site = _build(options)
    if options.command == "truth":
        sys.stdout.write(site.truth_json() + "\n")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = serve(site, options.host, options.port)
    sys.stdout.write(server.base_url + "\n")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
