#!/bin/sh
# The run viewer's browser test drives Debian's Chromium (/usr/bin/chromium) with playwright-core; browser downloads
# do not work here. `npm test` runs this first: as root on Debian it installs the package when it is missing,
# otherwise it says what to do (and the browser test fails with the same message).
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium package for the browser test..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "ensure-chromium: apt-get failed; the browser test will fail" >&2
else
  echo "ensure-chromium: /usr/bin/chromium is missing; install it (sudo apt-get install chromium) for the browser test" >&2
fi
exit 0
