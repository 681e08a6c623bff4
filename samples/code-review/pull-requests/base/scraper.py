"""A small multi-threaded scraper: fetches pages in parallel and keeps running totals.

Run it to print the totals:  python3 scraper.py
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class ScrapeStats:
    def __init__(self):
        self.pages_scraped = 0
        self.bytes_downloaded = 0
        self.failed_urls = []
        self._lock = threading.Lock()

    def record_page(self, size):
        with self._lock:
            self.pages_scraped += 1
            self.bytes_downloaded += size

    def record_failure(self, url):
        with self._lock:
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
    print(f"scraped {len(urls)} pages, counted {stats.pages_scraped}")
