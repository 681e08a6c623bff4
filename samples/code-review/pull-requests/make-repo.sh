#!/usr/bin/env bash
# Makes a git repository holding the sample pull requests that `mnemo review --diff` is scripted for offline:
#   main                the scraper, its totals kept under a lock
#   add-scrape-stats    PR 1: drops the lock from ScrapeStats.record_page; brings in the lost-update race (threads)
#   async-host-budget   PR 2, reviewed after PR 1: an asyncio fetcher with the same race across an await
#   stock-reservations  PR 3, beside PR 2: stock reservations (a check-then-act race) and notification batches
# Each branch is one commit on main, so `main...BRANCH` is its pull request's diff.
#
#   samples/code-review/pull-requests/make-repo.sh DIR
#   cd DIR && mnemo review --diff main...add-scrape-stats --memory ../team-memory
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DIR (a folder that does not exist yet, or an empty one)" >&2
  exit 2
fi

samples=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$1"
cd "$1"
if [[ -n "$(ls -A .)" ]]; then
  echo "$0: $1 is not empty" >&2
  exit 2
fi

# Fixed names and times, so the commits are the same on every machine.
export GIT_AUTHOR_NAME="Sample Author" GIT_AUTHOR_EMAIL="author@example.com"
export GIT_COMMITTER_NAME="Sample Author" GIT_COMMITTER_EMAIL="author@example.com"
commit() {
  export GIT_AUTHOR_DATE="2026-01-0$1T09:00:00Z" GIT_COMMITTER_DATE="2026-01-0$1T09:00:00Z"
  git add --all
  git commit --quiet -m "$2"
}

git init --quiet --initial-branch=main
git config commit.gpgsign false
cp "$samples/pull-requests/base/scraper.py" scraper.py
commit 1 "A multi-threaded scraper with running totals"

git checkout --quiet -b add-scrape-stats
cp "$samples/scraper.py" scraper.py
commit 2 "ScrapeStats: drop the lock from record_page, it showed up in profiles"
git checkout --quiet main
git checkout --quiet -b async-host-budget
cp "$samples/async_fetcher.py" async_fetcher.py
commit 3 "An asyncio fetcher with a request budget per host"

git checkout --quiet main
git checkout --quiet -b stock-reservations
cp "$samples/inventory.py" "$samples/notifications.py" .
commit 4 "Stock reservations and notification batches"

git checkout --quiet main
echo "made $(pwd): main, add-scrape-stats (PR 1), async-host-budget (PR 2), stock-reservations (PR 3)"
