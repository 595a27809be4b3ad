"""The sample site pre-rendered to files and served by nginx, so the server is never what a benchmark measures.

The sample site's own server (`newsarchive_site serve`, a Python `ThreadingHTTPServer`) saturates at a
few hundred requests a second, well below what a crawler can fetch; nginx serving the same pages from
files answers tens of thousands. Every page is rendered once for the chosen port (the pages carry
absolute links), written under `root/` with an extension that stands for its Content-Type, and the
few pages that are not plain files (the redirect, the server error, the 404 page) become `location`
blocks. Same URLs, same robots.txt, same bodies; nginx adds its own ETag and Last-Modified (so
conditional re-crawls get 304s). Set-Cookie headers, which differ per article, are not replayed.

    with StaticSite.start(articles=3000) as site:
        print(site.base_url, site.requests_per_second())

nginx comes from the distribution's package: `ensure_nginx()` installs it with apt-get when it is
missing and the benchmark runs as root, and otherwise says how to install it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

logger = logging.getLogger(__name__)

NGINX_PACKAGE = "nginx-light"  # Debian: nginx with the standard modules only, all a static site needs
QUERY_MARK = "__q_"  # "/britain?page=2" is stored as "britain__q_page=2.<ext>"
PLAIN_MARK = "_"  # "/" is stored as "_.<ext>", which nginx does not take for a hidden file
ERRORS_DIR = "__errors"


def ensure_nginx() -> str:
    """The nginx binary, installed from the distribution's packages first when allowed."""
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"nginx is needed to serve the benchmark site: install it (e.g. apt-get install {NGINX_PACKAGE})")
    logger.warning("installing %s with apt-get", NGINX_PACKAGE)
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=environment, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", NGINX_PACKAGE],
                   check=True, env=environment, stdout=subprocess.DEVNULL)
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(found):
        raise SystemExit(f"apt-get installed {NGINX_PACKAGE} but no nginx binary was found")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True, slots=True)
class RenderedSite:
    """What `render_site` wrote: the file tree and the nginx directives the files cannot express."""

    root: Path
    types: dict[str, str]  # Content-Type -> file extension
    common_headers: list[tuple[str, str]]
    special_locations: list[str]
    pages: int
    bytes: int


def _file_name(path_with_query: str, extension: str) -> str:
    path, _, query = path_with_query.partition("?")
    return f"{path}{QUERY_MARK}{query}.{extension}" if query else f"{path}{PLAIN_MARK}.{extension}"


def _nginx_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_site(articles: int, base_url: str, root: Path, seed: int = 1) -> RenderedSite:
    """Write every page of the sample site, rendered for `base_url`, under `root`."""
    from newsarchive_site import build_site  # the sample site package (tests/site)

    site = build_site(articles, seed)
    types: dict[str, str] = {}
    special: list[str] = []
    written = 0
    size = 0

    def extension_for(content_type: str) -> str:
        return types.setdefault(content_type, f"t{len(types)}")

    def write(relative: str, body: bytes) -> None:
        nonlocal size
        target = root / relative.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        size += len(body)

    shared: list[tuple[str, str]] | None = None
    for key, page in site.pages.items():
        headers, body = page.render(base_url)
        content_type = page.header("Content-Type") or "application/octet-stream"
        if page.status == 200:
            write(_file_name(key, extension_for(content_type)), body)
            written += 1
            rest = [(name, value) for name, value in headers if name.lower() != "content-type"]
            shared = rest if shared is None else [pair for pair in shared if pair in rest]
        elif 300 <= page.status < 400:
            location = dict((name.lower(), value) for name, value in headers)["location"]
            special.append(f"location = {_nginx_string(key)} {{ return {page.status} {_nginx_string(location)}; }}")
        else:  # an error page: nginx returns the status and error_page sends this body
            name = f"/{ERRORS_DIR}/{page.status}.{extension_for(content_type)}"
            write(name, body)
            special.append(f"location = {_nginx_string(key)} {{ return {page.status}; }}")
            special.append(f"error_page {page.status} {name};")
    not_found = site.not_found
    name = f"/{ERRORS_DIR}/404.{extension_for(not_found.header('Content-Type') or 'text/html')}"
    write(name, not_found.render(base_url)[1])
    special.append(f"error_page 404 {name};")
    return RenderedSite(root, types, shared or [], special, written, size)


def nginx_config(rendered: RenderedSite, port: int, workdir: Path) -> str:
    """One single-process nginx serving `rendered` on 127.0.0.1:`port`, logging nothing per request."""
    extensions = list(rendered.types.values())
    tries = " ".join(
        [f'"${{uri}}{QUERY_MARK}${{args}}.{ext}"' for ext in extensions] + [f'"${{uri}}{PLAIN_MARK}.{ext}"' for ext in extensions]
    )
    types = "\n".join(f"        {_nginx_string(kind)} {ext};" for kind, ext in rendered.types.items())
    headers = "\n".join(f"        add_header {_nginx_string(n)} {_nginx_string(v)};" for n, v in rendered.common_headers)
    special = "\n".join(f"        {line}" for line in rendered.special_locations)
    temp = "\n".join(f"    {kind}_temp_path {workdir / 'temp' / kind};" for kind in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""# generated by benchmarks/static_site.py
daemon off;
master_process off;  # one process, no privilege drop: it reads the files the benchmark just wrote
worker_rlimit_nofile 4096;
pid {workdir / 'nginx.pid'};
error_log {workdir / 'error.log'} warn;
events {{ worker_connections 2048; }}
http {{
    access_log off;
{temp}
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    open_file_cache max=100000 inactive=120s;
    server_tokens off;
    charset off;
    types {{
{types}
    }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {rendered.root};
{headers}
{special}
        location ^~ /{ERRORS_DIR}/ {{ internal; }}
        location / {{ try_files {tries} =404; }}
    }}
}}
"""


class StaticSite:
    """A running nginx serving the pre-rendered sample site; a context manager."""

    def __init__(self, process: subprocess.Popen, base_url: str, workdir: tempfile.TemporaryDirectory,
                 rendered: RenderedSite) -> None:
        self.process = process
        self.base_url = base_url
        self.rendered = rendered
        self._workdir = workdir

    @classmethod
    def start(cls, articles: int, seed: int = 1, host: str = "127.0.0.1") -> StaticSite:
        nginx = ensure_nginx()
        workdir = tempfile.TemporaryDirectory(prefix="newsarchive-site-")
        path = Path(workdir.name)
        port = free_port(host)
        base_url = f"http://{host}:{port}"
        rendered = render_site(articles, base_url, path / "root", seed)
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (path / "temp" / kind).mkdir(parents=True)
        config = path / "nginx.conf"
        config.write_text(nginx_config(rendered, port, path))
        process = subprocess.Popen([nginx, "-p", str(path), "-e", str(path / "error.log"), "-c", str(config)],
                                   stdin=subprocess.DEVNULL)
        site = cls(process, base_url, workdir, rendered)
        try:
            site._wait_until_serving()
        except BaseException:
            site.close()
            raise
        return site

    def _wait_until_serving(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                log = Path(self._workdir.name, "error.log")
                raise SystemExit(f"nginx exited at start-up: {log.read_text() if log.exists() else ''}")
            try:
                with urllib.request.urlopen(self.base_url + "/robots.txt", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def requests_per_second(self, seconds: int = 3, connections: int = 32) -> float | None:
        """A quick load test of one article page with `wrk` (None when wrk is not installed)."""
        wrk = shutil.which("wrk")
        if wrk is None:
            return None
        article = next(path for path in self.rendered.root.joinpath("article").rglob(f"*{PLAIN_MARK}.t0")
                       if QUERY_MARK not in path.name)
        url = self.base_url + "/" + str(article.relative_to(self.rendered.root)).removesuffix(PLAIN_MARK + ".t0")
        done = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds}s", url],
                              capture_output=True, text=True, check=True)
        match = re.search(r"Requests/sec:\s*([\d.]+)", done.stdout)
        return float(match.group(1)) if match else None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._workdir.cleanup()

    def __enter__(self) -> StaticSite:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def main() -> int:
    """`python benchmarks/static_site.py --articles N`: serve until interrupted, print the base URL."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--load-test", action="store_true", help="measure requests/s with wrk, then exit")
    options = parser.parse_args()
    with StaticSite.start(options.articles, options.seed) as site:
        print(site.base_url, flush=True)
        print(f"{site.rendered.pages} pages, {site.rendered.bytes:,} bytes", file=sys.stderr)
        if options.load_test:
            print(f"nginx answers {site.requests_per_second() or float('nan'):,.0f} requests/s", flush=True)
            return 0
        try:
            site.process.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
