"""`parbench serve`: the app in a browser tab, through textual-serve; one app process per tab.

What this adds to textual-serve's `Server` (textual-serve 1.1.x), each for a reason found by running
it (issue 21):

* The app starts without a shell in between (textual-serve runs `sh -c COMMAND`, and Debian's dash
  does not exec the last command, so the app would be a grandchild the server never sees), with
  PR_SET_PDEATHSIG=SIGTERM: if the server itself is killed (kill -9, OOM), each app gets SIGTERM
  instead of living on with nobody to talk to (on a closed stdin the web driver's input thread only
  stops; the app would keep running, and so would its sweep).
* When a tab closes, textual-serve sends the app a "quit" message and then awaits the process
  forever. Here the wait is bounded: after QUIT_GRACE_S the app gets SIGTERM, after TERM_GRACE_S more
  SIGKILL. The app's measuring process watches its parent and kills its pool once the app is gone,
  so even a killed app leaves nothing behind. Stopping the server (Ctrl+C, SIGTERM) ends every app so.
* The page's websocket address comes from the request's Host header: textual-serve bakes
  `ws://HOST:PORT` from the bind address into the page, so a `--host 0.0.0.0` server would send every
  browser to ws://0.0.0.0:PORT.
* The page gives the terminal the keyboard as soon as it is built: textual-serve's page leaves the
  focus on <body>, where every key goes to the browser (F5 reloads the page, which starts a new app)
  until the user clicks the terminal. And the page asks no third party for anything (textual-serve's
  template loads a font from fonts.googleapis.com). Both by patching textual-serve's own template when
  the server starts (read from the installed package, written to a temporary folder).
* textual-serve has no authentication: a host other than loopback prints one line saying that anyone
  who can reach the port can run sweeps (docs/serve.md shows the SSH tunnel instead).
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import ipaddress
import logging
import re
import shlex
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence, TextIO

import aiohttp_jinja2
import textual_serve
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

log = logging.getLogger("textual-serve")

QUIT_GRACE_S = 3.0  # after the "quit" message: an app cancelling its sweep exits well within this (~0.5 s)
TERM_GRACE_S = 2.0  # after SIGTERM, before SIGKILL
KILL_GRACE_S = 5.0  # after SIGKILL: only the kernel can be slower

WARNING = ("parbench serve: listening on {host}:{port} with no authentication: anyone who can reach "
           "this port can run sweeps on this machine.")


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (a name other than localhost may resolve to anything)."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _die_with_parent() -> None:
    """In the app's process, before exec: SIGTERM when the server that started it dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass  # not Linux: the quit message and the bounded stop still apply


FOCUS_TERMINAL = """
    <script>
      // parbench serve: the keyboard goes to the terminal from the start, not to the browser.
      window.addEventListener("load", () => {
        const focus = () => {
          const input = document.querySelector(".xterm-helper-textarea");
          if (input) input.focus(); else setTimeout(focus, 50);
        };
        focus();
      });
    </script>
  </body>"""


def patched_templates() -> Path:
    """A copy of textual-serve's page template without the third-party font and with the terminal
    focused at load; the original folder if the template's shape has changed."""
    original = Path(textual_serve.__file__).parent / "templates"
    html = (original / "app_index.html").read_text()
    patched = re.sub(r'\s*<link\s+rel="stylesheet"\s+href="https://fonts\.googleapis\.com[^>]*>', "", html)
    if "</body>" not in patched:
        return original
    patched = patched.replace("</body>", FOCUS_TERMINAL, 1)
    folder = Path(tempfile.mkdtemp(prefix="parbench-serve-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "app_index.html").write_text(patched)
    return folder


class ManagedAppService(AppService):
    """One tab's app process, started without a shell and stopped within a bounded time."""

    def __init__(self, argv: Sequence[str], **kwargs: Any) -> None:
        super().__init__(shlex.join(argv), **kwargs)
        self.argv = list(argv)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def _open_app_process(self, width: int = 80, height: int = 24):
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def stop(self) -> None:
        """Ask the app to quit; SIGTERM if it has not gone after QUIT_GRACE_S; then SIGKILL."""
        if self._task is None:
            return
        task, self._task = self._task, None
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        await self.send_meta({"type": "quit"})
        process = self._process
        if process is not None:
            for sig, grace in ((None, QUIT_GRACE_S), (signal.SIGTERM, TERM_GRACE_S), (signal.SIGKILL, KILL_GRACE_S)):
                if sig is not None and process.returncode is None:
                    log.warning("app pid %s still running: sending %s", process.pid, sig.name)
                    try:
                        process.send_signal(sig)
                    except ProcessLookupError:
                        pass
                try:
                    await asyncio.wait_for(process.wait(), grace)
                    break
                except asyncio.TimeoutError:
                    continue
        # The reader task ends at the end of the process's output.
        try:
            await asyncio.wait_for(asyncio.shield(task), 2.0)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            task.cancel()


class ParbenchServer(Server):
    def __init__(self, argv: Sequence[str], host: str, port: int, *, out: TextIO | None = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("templates_path", patched_templates())
        super().__init__(shlex.join(argv), host=host, port=port, **kwargs)
        self.argv = list(argv)
        self.out = out  # where the warning goes (stderr)
        self.services: set[ManagedAppService] = set()

    async def on_startup(self, app: web.Application) -> None:
        pass  # textual-serve prints its logo and address here, before it knows the port is free

    def _listening(self, *_: Any) -> None:
        """Once the address is bound (aiohttp's run_app calls its `print` then): where, and for a
        host other than loopback, the warning."""
        if not is_loopback(self.host):
            print(WARNING.format(host=self.host, port=self.port), file=self.out or sys.stderr, flush=True)
        shown = "localhost" if self.host in ("0.0.0.0", "::") else self.host
        shown = f"[{shown}]" if ":" in shown else shown
        self.console.print(f"parbench: serving the app on http://{shown}:{self.port} "
                           "(one app per browser tab; Ctrl+C stops)", highlight=False, markup=False, soft_wrap=True)

    def serve(self, debug: bool = False) -> None:
        """textual-serve's `serve`, saying where it listens only once it does."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.request_exit)
            except NotImplementedError:
                pass
        try:
            web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False, loop=loop,
                        print=self._listening)
        finally:
            asyncio.set_event_loop(None)
            if not loop.is_closed():
                loop.close()

    async def on_shutdown(self, app: web.Application) -> None:
        await asyncio.gather(*(service.stop() for service in list(self.services)), return_exceptions=True)

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """textual-serve's page, with its addresses taken from the request (what the browser used)."""
        base = f"{request.scheme}://{request.host}"
        ws_base = ("wss://" if request.scheme == "https" else "ws://") + request.host
        router = request.app.router
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": ws_base + str(router["websocket"].url_for()),
            "config": {"static": {"url": base + str(router["static"].url_for(filename="/")).rstrip("/") + "/"}},
            "application": {"name": self.title},
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's handler, with ManagedAppService and a record of the live apps."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: ManagedAppService | None = None
        try:
            await websocket.prepare(request)
            service = ManagedAppService(self.argv, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                                        close=websocket.close, download_manager=self.download_manager,
                                        debug=self.debug)
            self.services.add(service)
            await service.start(width, height)
            log.info("tab opened: app pid %s", service.pid)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.exception(error)
        finally:
            if service is not None:
                await asyncio.shield(service.stop())
                self.services.discard(service)
                log.info("tab closed: app pid %s ended", service.pid)
        return websocket


def app_command(db: str | None = None) -> list[str]:
    """The app as the server starts it for each tab: this interpreter, `-m tui` (what `parbench`
    with no arguments runs), with the server's --db if one was given."""
    return [sys.executable, "-m", "tui", *(["--db", db] if db else [])]


def serve(host: str = "127.0.0.1", port: int = 8000, command: Sequence[str] | None = None, *,
          db: str | None = None, title: str = "parbench", debug: bool = False, out: TextIO | None = None) -> None:
    """Serve the app (`command`, default `python -m tui [--db DB]`) on http://host:port until Ctrl+C
    or SIGTERM. Raises OSError if the address cannot be bound."""
    server = ParbenchServer(command or app_command(db), host=host, port=port, title=title, out=out)
    server.serve(debug=debug)
