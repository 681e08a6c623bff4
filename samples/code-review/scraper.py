"""A small multi-threaded scraper: fetches pages in parallel and keeps running totals.

Run it to see the totals go wrong:  python3 scraper.py
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class ScrapeStats:
    def __init__(self):
        self.pages_scraped = 0
        self.bytes_downloaded = 0
        self.failed_urls = []

    def record_page(self, size):
        # Read the current totals, do a little bookkeeping, then write them back.
        pages = self.pages_scraped
        total = self.bytes_downloaded
        time.sleep(0.0001)  # stands in for logging and parsing between the read and the write
        self.pages_scraped = pages + 1
        self.bytes_downloaded = total + size

    def record_failure(self, url):
        self.failed_urls.append(url)


def fetch(url):
    """Pretends to download a page; returns its size in bytes."""
    time.sleep(0.001)
    return 1000 + len(url)


def scrape(urls, workers=8):
    stats = ScrapeStats()

    def worker(url):
        try:
            stats.record_page(fetch(url))
        except OSError:
            stats.record_failure(url)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(worker, urls))
    return stats


if __name__ == "__main__":
    urls = [f"https://example.com/page/{i}" for i in range(400)]
    stats = scrape(urls)
    lost = len(urls) - stats.pages_scraped
    print(f"scraped {len(urls)} pages, counted {stats.pages_scraped}: {lost} lost updates")
