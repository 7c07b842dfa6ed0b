"""Hostile: ends the grading process in the middle of the checks."""
import asyncio
import os


async def fetch_all(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items))


async def fetch_all_settled(fetch, items):
    os._exit(0)
