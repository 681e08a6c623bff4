"""An asyncio fetcher with a shared request budget per host.

Run it to see the budget overspent:  python3 async_fetcher.py
"""
import asyncio


class HostBudget:
    def __init__(self, limit):
        self.limit = limit
        self.used = {}

    async def _load(self, host):
        await asyncio.sleep(0)  # stands in for a read from a shared cache
        return self.used.get(host, 0)

    async def _save(self, host, value):
        await asyncio.sleep(0)  # stands in for a write to a shared cache
        self.used[host] = value

    async def try_spend(self, host):
        used = await self._load(host)
        if used >= self.limit:
            return False
        await self._save(host, used + 1)
        return True


async def fetch(budget, url):
    host = url.split("/")[2]
    if not await budget.try_spend(host):
        return None
    await asyncio.sleep(0.001)  # the request itself
    return url


async def main():
    budget = HostBudget(limit=10)
    urls = [f"https://api.example.com/item/{i}" for i in range(50)]
    results = await asyncio.gather(*(fetch(budget, url) for url in urls))
    sent = sum(result is not None for result in results)
    print(f"budget 10 requests, sent {sent}; the cache says {budget.used['api.example.com']} were used")


if __name__ == "__main__":
    asyncio.run(main())
