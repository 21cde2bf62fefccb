#!/usr/bin/env bash
# Refreshes the README screenshots from the shipped model: runs the word-emphasis browser test (docs/screenshot.png, a
# finished generation), the status page's (docs/status.png, the operator's page after a burst of jobs) and the layout
# tests' (docs/layout.png, a left | right layout; docs/layout-paint.png, a region being painted) and re-align's
# (docs/realign.png, a picture's phrases before and after), which drive
# the real app in Debian's Chromium, then copies their full-page screenshots into docs/. Needs what scripts/test.sh
# installs (chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
shots=tests/RefineWeb.Browser.Tests/bin/Debug/net10.0/screenshots
rm -f "$shots/emphasis.png" "$shots/status.png" "$shots/layout.png" "$shots/layout-paint.png" "$shots/realign.png" # so that a filter matching no test cannot pass off an old screenshot as new
# No -o: the tests find RefineWeb.sln by walking up from their own output folder.
dotnet test tests/RefineWeb.Browser.Tests -v q -nologo --filter "FullyQualifiedName~EmphasisBrowserTests|FullyQualifiedName~StatusPageBrowserTests|FullyQualifiedName~LayoutBrowserTests|FullyQualifiedName~RealignBrowserTests"
for pair in emphasis.png:screenshot.png status.png:status.png layout.png:layout.png layout-paint.png:layout-paint.png realign.png:realign.png; do
  shot="$shots/${pair%%:*}"
  [ -s "$shot" ] || { echo "the test left no screenshot at $shot" >&2; exit 1; }
  cp "$shot" "docs/${pair##*:}"
  echo "docs/${pair##*:} <- $shot"
done
