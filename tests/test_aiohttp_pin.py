"""aioresponses only works with some aiohttp versions (0.7.9 breaks on aiohttp 3.14: every
mocked request raises TypeError about ClientResponse's stream_writer). The kit pins aiohttp
in pyproject.toml; these tests prove the pin holds and that the installed pair works, since
exercise 08's checks answer learners' requests through aioresponses."""

import asyncio
import tomllib
from importlib.metadata import version
from pathlib import Path

import aiohttp
from aioresponses import CallbackResult, aioresponses
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def aiohttp_pin() -> Requirement:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    return next(r for r in map(Requirement, dependencies) if r.name == "aiohttp")


def test_pin_excludes_the_aiohttp_that_breaks_aioresponses():
    pin = aiohttp_pin()
    assert not pin.specifier.contains("3.14.0"), f"{pin} allows aiohttp 3.14, which aioresponses 0.7.9 cannot mock"


def test_installed_aiohttp_is_within_the_pin():
    pin = aiohttp_pin()
    assert pin.specifier.contains(version("aiohttp")), f"aiohttp {version('aiohttp')} installed, pyproject pins {pin}"


def test_aioresponses_mocks_a_request_with_the_installed_aiohttp():
    async def delayed(url, **kwargs):
        await asyncio.sleep(0)
        return CallbackResult(status=404, body="no such page")

    async def main():
        with aioresponses() as mocked:
            mocked.get("http://shop.test/kiwi", status=200, body="<h1>kiwi</h1>")
            mocked.get("http://shop.test/gone", callback=delayed)
            mocked.get("http://shop.test/down", exception=aiohttp.ClientConnectionError("refused"))
            async with aiohttp.ClientSession() as session:
                async with session.get("http://shop.test/kiwi") as response:
                    page = response.status, await response.text()
                async with session.get("http://shop.test/gone") as response:
                    gone = response.status, await response.text()
                down = None
                try:
                    await session.get("http://shop.test/down")
                except aiohttp.ClientConnectionError as error:
                    down = error
        return page, gone, down

    page, gone, down = asyncio.run(main())
    assert page == (200, "<h1>kiwi</h1>")
    assert gone == (404, "no such page")
    assert isinstance(down, aiohttp.ClientConnectionError)
