"""Where the supergraph comes from: a file or URL, or subgraphs' `_service { sdl }` composed here."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import orjson

from router.compose import SubgraphSDL, compose

SDL_QUERY = orjson.dumps({"query": "{ _service { sdl } }"})


def parse_subgraph_arg(arg: str) -> tuple[str, str, str | None]:
    """`name=url` or `name=url@file.graphql` -> (name, url, file or None)."""
    name, sep, rest = arg.strip().partition("=")
    if not sep or not name or not rest:
        raise ValueError(f"--subgraph expects NAME=URL[@FILE], got {arg!r}")
    url, at, file = rest.rpartition("@")
    if at and url and (file.endswith((".graphql", ".graphqls", ".sdl")) or Path(file).is_file()):
        return name.strip(), url.strip(), file
    return name.strip(), rest.strip(), None


async def fetch_sdl(session: aiohttp.ClientSession, url: str) -> str:
    async with session.post(url, data=SDL_QUERY, headers={"content-type": "application/json"}) as resp:
        body = orjson.loads(await resp.read())
    return str(body["data"]["_service"]["sdl"])


async def fetch_subgraph_sdls(subgraphs: list[tuple[str, str, str | None]], wait: float) -> list[SubgraphSDL]:
    """Fetches each subgraph's SDL, retrying until it answers or `wait` seconds have passed."""
    deadline = time.monotonic() + wait
    out: list[SubgraphSDL] = []
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for name, url, file in subgraphs:
            if file:
                out.append(SubgraphSDL(name, url, await asyncio.to_thread(Path(file).read_text)))
                continue
            last = ""
            while True:
                try:
                    out.append(SubgraphSDL(name, url, await fetch_sdl(session, url)))
                    break
                except Exception as exc:
                    last = str(exc) or exc.__class__.__name__
                if time.monotonic() >= deadline:
                    raise RuntimeError(
                        f"subgraph {name!r} at {url} did not answer _service {{ sdl }}: {last}"
                    )
                await asyncio.sleep(0.25)
    return out


async def load_supergraph_source(source: str) -> str:
    if source.startswith(("http://", "https://")):
        async with aiohttp.ClientSession() as session, session.get(source) as resp:
            resp.raise_for_status()
            return await resp.text()
    return await asyncio.to_thread(Path(source).read_text)


async def compose_from_subgraphs(subgraphs: list[tuple[str, str, str | None]], wait: float) -> str:
    return compose(await fetch_subgraph_sdls(subgraphs, wait))
