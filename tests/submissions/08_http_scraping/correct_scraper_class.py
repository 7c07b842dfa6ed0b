# expect: pass
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        return await asyncio.wait_for(_get(session, url), timeout)
    except (TimeoutError, aiohttp.ClientError) as error:
        return {"url": url, "error": error}


async def _get(session, url):
    async with session.get(url) as response:
        return {"url": url, "status": response.status, "body": await response.text()}


class Scraper:
    """One session and one limit, shared by every fetch of a batch."""

    def __init__(self, session, limit, timeout):
        self.session = session
        self.slots = asyncio.Semaphore(limit) if limit else None
        self.timeout = timeout

    async def get(self, url):
        if self.slots is None:
            return await fetch_page(self.session, url, self.timeout)
        async with self.slots:
            return await fetch_page(self.session, url, self.timeout)


async def fetch_pages(urls, limit=None, timeout=10.0):
    async with aiohttp.ClientSession() as session:
        scraper = Scraper(session, limit, timeout)
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(scraper.get(url)) for url in urls]
    return [task.result() for task in tasks]
