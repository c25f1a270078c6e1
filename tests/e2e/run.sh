#!/bin/sh
set -eu
"$ORCHSIM" >/dev/null
echo "e2e: ok"
