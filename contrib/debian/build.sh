#!/bin/sh
# make deb: builds the Debian package of this tree. A scratch copy of the
# tree (what git tracks plus untracked files it does not ignore; without
# git, everything but build products) gets contrib/debian/ as debian/, and
# dpkg-buildpackage -us -uc -b runs there. The .deb, .buildinfo and
# .changes land in OUTDIR (default: the directory above the tree, where
# dpkg-buildpackage would put them). DEB_BUILD_OPTIONS=nocheck skips the
# unit tests in the build.
# usage: sh contrib/debian/build.sh [OUTDIR]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/..}
for c in dpkg-buildpackage dpkg-parsechangelog dh; do
	command -v "$c" >/dev/null 2>&1 ||
		{ echo "make deb: $c missing: apt-get install dpkg-dev debhelper" >&2; exit 1; }
done
ver=$(sed -n 's/^#define CYGNET_VERSION "\(.*\)"$/\1/p' "$top/src/version.h")
chv=$(dpkg-parsechangelog -l "$top/contrib/debian/changelog" -S Version)
if [ "${chv%%-*}" != "$ver" ]; then
	echo "make deb: contrib/debian/changelog is at $chv, src/version.h at $ver: add an entry" >&2
	exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cygnet-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/cygnet-$ver
mkdir "$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# files deleted in the work tree but still tracked are left out
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar cf - --null --no-recursion -T -) | tar xf - -C "$src"
else
	(cd "$top" && tar cf - --exclude=./.git .) | tar xf - -C "$src"
	[ ! -f "$src/Makefile" ] || make -s -C "$src" distclean
fi
rm -rf "$src/debian"
cp -R "$src/contrib/debian" "$src/debian"
(cd "$src" && dpkg-buildpackage -us -uc -b)
for f in "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes; do
	[ -e "$f" ] && mv -f "$f" "$out/" && echo "make deb: $out/${f##*/}"
done
