#!/usr/bin/env bash
# Refreshes the README screenshot (docs/screenshot.png) from the shipped model: runs the word-emphasis browser test,
# which drives the real app in Debian's Chromium and saves a full-page screenshot of the finished generation, then
# copies that screenshot into docs/. Needs what scripts/test.sh installs (chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
shot=tests/RefineWeb.Browser.Tests/bin/Debug/net10.0/screenshots/emphasis.png
rm -f "$shot" # so that a filter matching no test cannot pass off an old screenshot as new
# No -o: the tests find RefineWeb.sln by walking up from their own output folder.
dotnet test tests/RefineWeb.Browser.Tests -v q -nologo --filter "FullyQualifiedName~EmphasisBrowserTests"
[ -s "$shot" ] || { echo "the test left no screenshot at $shot" >&2; exit 1; }
cp "$shot" docs/screenshot.png
echo "docs/screenshot.png <- $shot"
