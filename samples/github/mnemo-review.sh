#!/usr/bin/env bash
# Reviews a pull request's change with mnemo, with a memory every run shares, and posts the review to GitHub.
# The same script serves GitHub Actions (mnemo-review.yml) and any other CI system.
#
# What it needs, in the environment:
#   BASE, HEAD            the pull request's base and head commits (ids or refs the checkout has), such as
#                         BASE=origin/main HEAD=HEAD; the change reviewed is BASE...HEAD, as the pull request shows it
#   ANTHROPIC_API_KEY     the key for Claude (without it the review runs against the offline emulator, scripted
#                         only for the sample pull requests)
# The memory, one of:
#   MNEMO_SERVER, MNEMO_STORE, MNEMO_KEY   a memory server (`mnemo serve`): one store for every run, at once
#   MNEMO_POSTGRES, MNEMO_STORE            a PostgreSQL database (leave the password to PGPASSWORD)
#   MNEMO_MEMORY_DIR                       a folder kept between runs (a CI cache); the default .mnemo/memories
# Posting (all three, or the review is only printed):
#   GITHUB_TOKEN, GITHUB_REPOSITORY (owner/name), PR_NUMBER; GITHUB_API_URL for GitHub Enterprise
# Optional:
#   MNEMO                 how to run mnemo (default: mnemo, installed with dotnet tool install when missing)
#   MNEMO_SOURCE          a NuGet feed to install Mnemo.Cli from, besides nuget.org
#   MNEMO_ARGS            more options for mnemo review, such as "--model claude-opus-4-5"
#   OUT                   where review.json goes (default: the current folder)
#
# Exit code: 0 when the review ran (and was posted, when asked); mnemo's code when it did not (2: the change cannot be
# reviewed as given, such as an empty diff); 3 when posting failed.
set -euo pipefail

: "${BASE:?BASE is the base commit of the pull request, such as origin/main}"
: "${HEAD:?HEAD is the head commit of the pull request, such as HEAD}"
out=${OUT:-.}
read -r -a mnemo <<< "${MNEMO:-mnemo}"

if ! command -v "${mnemo[0]}" > /dev/null; then
  echo "mnemo-review: installing the mnemo tool" >&2
  dotnet tool install --global Mnemo.Cli ${MNEMO_SOURCE:+--add-source "$MNEMO_SOURCE"} >&2
  export PATH="$PATH:${DOTNET_CLI_HOME:-$HOME}/.dotnet/tools"
fi

place=()
if [[ -n "${MNEMO_SERVER:-}" ]]; then
  : "${MNEMO_KEY:?MNEMO_KEY is the API key of the memory server (mnemo serve keys add)}"
  place=(--server "$MNEMO_SERVER" --store "${MNEMO_STORE:-code-review}")
elif [[ -n "${MNEMO_POSTGRES:-}" ]]; then
  place=(--postgres "$MNEMO_POSTGRES" --store "${MNEMO_STORE:-code-review}")
else
  place=(--memory "${MNEMO_MEMORY_DIR:-.mnemo/memories}")
fi

label="${PR_NUMBER:+PR #$PR_NUMBER}"
read -r -a extra <<< "${MNEMO_ARGS:-}"
status=0
"${mnemo[@]}" review --diff "$BASE...$HEAD" --format github ${label:+--label "$label"} "${place[@]}" --no-records "${extra[@]}" \
  > "$out/review.json" || status=$?
if [[ $status -ne 0 ]]; then
  rm -f "$out/review.json"
  echo "mnemo-review: no review (mnemo exited with $status)" >&2
  exit $status
fi

comments=$(grep -c '"path":' "$out/review.json" || true)
if [[ -z "${GITHUB_TOKEN:-}" || -z "${GITHUB_REPOSITORY:-}" || -z "${PR_NUMBER:-}" ]]; then
  echo "mnemo-review: the review has $comments line comment(s); not posting it (set GITHUB_TOKEN, GITHUB_REPOSITORY and PR_NUMBER to post)" >&2
  cat "$out/review.json"
  exit 0
fi

url="${GITHUB_API_URL:-https://api.github.com}/repos/$GITHUB_REPOSITORY/pulls/$PR_NUMBER/reviews"
if ! response=$(curl --silent --show-error --fail-with-body --request POST "$url" \
    --header "Authorization: Bearer $GITHUB_TOKEN" \
    --header "Accept: application/vnd.github+json" \
    --header "X-GitHub-Api-Version: 2022-11-28" \
    --data-binary "@$out/review.json"); then
  echo "mnemo-review: GitHub did not take the review: $(printf '%s' "$response" | head -c 300 | tr '\n' ' ')" >&2
  exit 3
fi

echo "mnemo-review: posted the review of PR #$PR_NUMBER with $comments line comment(s)" >&2
