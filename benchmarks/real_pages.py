"""Body text on real publishers' pages: our generic extraction beside trafilatura, same pages, same run.

    .venv/bin/python benchmarks/real_pages.py [--pages-dir ../shared/real-pages] [--out predictions/]
                                              [--profile generic] [--no-peer] [--repeat 1]

Reads the article-extraction-benchmark pages (`html/KEY.html.gz` with `ground-truth.json`) kept in
`../shared/real-pages` beside the repository (never copied into it). Each page is extracted from its
bytes by `extract_article` with the generic profile; the prediction is the article's `free_text` (on a
page judged paywalled, its free part), or nothing when the page was not read as an article. trafilatura
(`pip install -e '.[bench]'`) runs on the same bytes in the same process, interleaved page by page and
alternating which goes first, so both see the same machine state, after one untimed warm-up pass
over every page (imports, compiled expressions and lazy set-up are paid once per process, not per page). Writes `ours.json` and
`trafilatura.json` in the benchmark's format, scores them with the benchmark's own `score_body.py` and
prints a Markdown table: F1, precision, recall, and milliseconds per page (median, p90, max) of the
process's CPU time by default (`--clock wall` for elapsed time): on a machine shared with other work,
CPU time does not count the moments another process held the core. `--stages` also times, on each
page in the same loop, decoding and parsing alone and the block reader's walk alone, and prints their
medians as shares of trafilatura's: the floor under our own time.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any
from pathlib import Path

from crawler.extract import extract_article
from crawler.extract.content import read_blocks
from crawler.extract.decode import decode_html, parse_html
from crawler.sites import load_profile

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PAGES = REPO.parent / "shared" / "real-pages"
HEADERS = {"Content-Type": "text/html"}
CHROME_PRECISION = 0.1


def _scorer(pages_dir: Path) -> Any:
    """The benchmark's own scoring module, loaded from its file (it is not a package)."""
    spec = importlib.util.spec_from_file_location("score_body", pages_dir / "score_body.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no score_body.py in {pages_dir}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _chrome_pages(scoring: Any, truth: dict, predicted: dict) -> list[str]:
    """Pages whose extracted text is (almost) all words the article does not have: page chrome."""
    found = []
    for key, page in truth.items():
        text = predicted[key].get("articleBody") or ""
        if text and scoring.precision(*scoring.page_counts(page["articleBody"], text)) < CHROME_PRECISION:
            found.append(key)
    return found


def _ours(profile_ref: str) -> Callable[[bytes, str], str]:
    profile = load_profile(profile_ref)

    def run(body: bytes, url: str) -> str:
        article = extract_article(body, url, HEADERS, profile)
        return article.free_text if article is not None else ""

    return run


def _trafilatura() -> Callable[[bytes, str], str] | None:
    try:
        import trafilatura
    except ImportError:
        return None

    def run(body: bytes, url: str) -> str:
        return trafilatura.extract(body, url=url) or ""

    return run


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages-dir", type=Path, default=DEFAULT_PAGES,
                        help="the real-pages folder holding score_body.py (default ../shared/real-pages)")
    parser.add_argument("--out", type=Path, default=None, help="write predictions here (default: a temp folder)")
    parser.add_argument("--profile", default="generic", help="profile name or path (default generic)")
    parser.add_argument("--no-peer", action="store_true", help="skip trafilatura")
    parser.add_argument("--repeat", type=int, default=1, help="time each page this many times, keep the fastest")
    parser.add_argument("--slowest", type=int, default=0, help="also list the N slowest pages of ours")
    parser.add_argument("--stages", action="store_true",
                        help="also time parsing alone and the block walk alone (the floor under ours)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="cpu: the process's CPU time (steady on a shared machine; default); wall: elapsed time")
    options = parser.parse_args(argv)

    data_dir = options.pages_dir / "article-extraction-benchmark"
    if not (data_dir / "ground-truth.json").is_file():
        parser.error(f"no article-extraction-benchmark pages in {options.pages_dir} (see --pages-dir)")
    truth = json.loads((data_dir / "ground-truth.json").read_text())
    scoring = _scorer(options.pages_dir)
    runners: dict[str, Callable[[bytes, str], str]] = {"newsarchive (generic)": _ours(options.profile)}
    peer = None if options.no_peer else _trafilatura()
    if peer is not None:
        runners["trafilatura " + _version("trafilatura")] = peer
    elif not options.no_peer:
        print("trafilatura is not installed (pip install -e '.[bench]'); measuring ours only", file=sys.stderr)

    predictions: dict[str, dict[str, dict[str, str]]] = {name: {} for name in runners}
    timings: dict[str, dict[str, float]] = {name: {} for name in runners}
    names = list(runners)
    clock = time.process_time if options.clock == "cpu" else time.perf_counter
    stage_times: dict[str, dict[str, float]] = {"decode and parse": {}, "block walk": {}}
    pages = {key: gzip.decompress((data_dir / "html" / f"{key}.html.gz").read_bytes()) for key in sorted(truth)}
    for key, body in pages.items():  # warm-up: imports, caches and lazy set-up are not per-page costs
        for name in names:
            runners[name](body, truth[key].get("url", ""))
    for number, (key, body) in enumerate(pages.items()):
        url = truth[key].get("url", "")
        order = names if number % 2 == 0 else names[::-1]
        for _ in range(options.repeat):
            for name in order:
                started = clock()
                text = runners[name](body, url)
                elapsed = (clock() - started) * 1000
                timings[name][key] = min(elapsed, timings[name].get(key, elapsed))
                predictions[name][key] = {"articleBody": text}
            if options.stages:
                _time_stages(key, body, url, clock, stage_times)

    if options.out is not None:
        options.out.mkdir(parents=True, exist_ok=True)
        for name, found in predictions.items():
            slug = name.split(" ")[0]
            (options.out / f"{slug}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))

    print(f"{len(truth)} pages from {data_dir.name}; ms per page of {options.clock} time, fastest of "
          f"{options.repeat}\n")
    print("| extractor | F1 | precision | recall | ms median | ms p90 | ms max |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in names:
        result = scoring.score(truth, predictions[name])
        ms = list(timings[name].values())
        print(f"| {name} | {result['f1']:.3f} | {result['precision']:.3f} | {result['recall']:.3f} "
              f"| {statistics.median(ms):.1f} | {_percentile(ms, 0.9):.1f} | {max(ms):.1f} |")
    chrome = _chrome_pages(scoring, truth, predictions[names[0]])
    print(f"\npages whose free text is page chrome (precision < {CHROME_PRECISION}): {len(chrome)}"
          + "".join(f"\n  {key}" for key in chrome))
    if len(names) == 2:
        ours, theirs = (list(timings[n].values()) for n in names)
        print(f"\nours / trafilatura: median {statistics.median(ours) / statistics.median(theirs):.2f}x, "
              f"p90 {_percentile(ours, 0.9) / _percentile(theirs, 0.9):.2f}x")
    if options.stages and len(names) == 2:
        theirs = statistics.median(timings[names[1]].values())
        print()
        for stage, values in stage_times.items():
            median = statistics.median(values.values())
            print(f"{stage} alone: median {median:.1f} ms = {median / theirs:.2f}x trafilatura's median")
    if options.slowest:
        print()
        for key, ms in sorted(timings[names[0]].items(), key=lambda item: -item[1])[:options.slowest]:
            print(f"{ms:8.1f} ms  {key}")
    return 0


def _time_stages(key: str, body: bytes, url: str, clock: Callable[[], float],
                 found: dict[str, dict[str, float]]) -> None:
    """Milliseconds of decoding + parsing alone, and of the block reader's walk over the parsed page
    (the fastest of the repeats, like the extractors' times)."""
    started = clock()
    page = parse_html(decode_html(body, HEADERS) or "", url)
    parsed = clock()
    if page is not None:
        read_blocks(page)
    walked = clock()
    for stage, elapsed in (("decode and parse", parsed - started), ("block walk", walked - parsed)):
        found[stage][key] = min(elapsed * 1000, found[stage].get(key, float("inf")))


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    sys.exit(main())
