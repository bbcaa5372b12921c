#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the built tree into a scratch prefix, then build tests/install/
# consumer.c against the *installed* tree only, through pkg-config (shared
# and static) and through find_package(gupsim) (gupsim::gupsim and
# gupsim::gupsim_static), and run every binary.
#
# Environment (set by tests/install/CMakeLists.txt): BUILD_DIR WORK_DIR
# SRC_DIR LIBDIR VERSION SOVERSION CMAKE CC PKG_CONFIG GENERATOR
# EXTRA_FLAGS (sanitizer flags of this build, or empty)
set -eu

step() { printf '\n--- %s\n' "$*"; }
fail() { printf 'install test FAILED: %s\n' "$*" >&2; exit 1; }

prefix=$WORK_DIR/prefix
libdir=$prefix/$LIBDIR
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"

step "cmake --install $BUILD_DIR --prefix $prefix"
"$CMAKE" --install "$BUILD_DIR" --prefix "$prefix" >"$WORK_DIR/install.log" ||
	{ cat "$WORK_DIR/install.log"; fail "cmake --install"; }

step "installed files"
for f in include/gupsim/gupsim.h include/gupsim/kernel.h include/gupsim/version.h \
	 "$LIBDIR/libgupsim.so.$VERSION" "$LIBDIR/libgupsim.so.$SOVERSION" \
	 "$LIBDIR/libgupsim.so" "$LIBDIR/libgupsim.a" "$LIBDIR/pkgconfig/gupsim.pc" \
	 "$LIBDIR/pkgconfig/gupsim-static.pc" \
	 "$LIBDIR/cmake/gupsim/gupsim-config.cmake" \
	 "$LIBDIR/cmake/gupsim/gupsim-config-version.cmake" \
	 "$LIBDIR/cmake/gupsim/gupsim-targets.cmake"; do
	[ -e "$prefix/$f" ] || fail "missing $prefix/$f"
	echo "ok $f"
done
[ -L "$libdir/libgupsim.so.$SOVERSION" ] || fail "libgupsim.so.$SOVERSION is not a symlink"
[ -e "$prefix/include/gupsim/version.h.in" ] && fail "version.h.in was installed"

step "programs, man pages, docs and examples"
for f in bin/gupsim-run bin/gup_test bin/gupsim-bench share/man/man7/gupsim.7 \
	 share/man/man1/gupsim-run.1 share/man/man1/gup_test.1 share/man/man1/gupsim-bench.1 \
	 share/man/man3/pin_user_pages.3 share/doc/gupsim/scenarios.md \
	 share/doc/gupsim/examples/pin_demo.c \
	 share/doc/gupsim/examples/scenarios/case1_direct_io.gsim; do
	[ -e "$prefix/$f" ] || fail "missing $prefix/$f"
	echo "ok $f"
done
readelf -d "$prefix/bin/gupsim-run" | grep -q 'R.*PATH.*\$ORIGIN/\.\./'"$LIBDIR" ||
	fail "bin/gupsim-run has no RUNPATH \$ORIGIN/../$LIBDIR"
# From the prefix's bin/, with no LD_LIBRARY_PATH: libgupsim.so.0 is
# found through the RUNPATH.
(cd "$prefix/bin" && env -u LD_LIBRARY_PATH ./gupsim-run -q \
	"$prefix/share/doc/gupsim/examples/scenarios/case1_direct_io.gsim") ||
	fail "the installed gupsim-run does not run the installed scenario"
env -u LD_LIBRARY_PATH "$prefix/bin/gup_test" -a -m 1 -n 4 >/dev/null ||
	fail "the installed gup_test does not run"
"$prefix/bin/gupsim-bench" --help >/dev/null || fail "the installed gupsim-bench --help failed"
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$prefix/share/man/man7/gupsim.7" 2>/dev/null | grep -q 'GUPSIM(7)' ||
		fail "man -l gupsim.7 does not format"
fi

step "pkg-config"
PKG_CONFIG_PATH=$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
cat "$libdir/pkgconfig/gupsim.pc"
"$PKG_CONFIG" --validate gupsim 2>/dev/null || "$PKG_CONFIG" --exists gupsim ||
	fail "pkg-config cannot read gupsim.pc"
v=$("$PKG_CONFIG" --modversion gupsim)
[ "$v" = "$VERSION" ] || fail "pkg-config --modversion gupsim = $v, expected $VERSION"
pc_libdir=$("$PKG_CONFIG" --variable=libdir gupsim)
[ "$pc_libdir" -ef "$libdir" ] || fail "gupsim.pc libdir=$pc_libdir, installed in $libdir"
cflags=$("$PKG_CONFIG" --cflags gupsim)
libs=$("$PKG_CONFIG" --libs gupsim)
static_libs=$("$PKG_CONFIG" --static --libs gupsim)
echo "cflags: $cflags"
echo "libs: $libs"
echo "libs --static: $static_libs"
case " $static_libs " in
*" -pthread "*) ;;
*) fail "pkg-config --static --libs gupsim lacks -pthread" ;;
esac

step "pkg-config: shared link"
# shellcheck disable=SC2086 # word splitting of flag lists is intended
"$CC" $EXTRA_FLAGS -std=c11 -Wall -Wextra -Werror $cflags \
	-o "$WORK_DIR/consumer_pc_shared" "$SRC_DIR/consumer.c" \
	$libs -Wl,-rpath,"$pc_libdir"
readelf -d "$WORK_DIR/consumer_pc_shared" | grep -q "NEEDED.*libgupsim.so.$SOVERSION" ||
	fail "the shared consumer does not need libgupsim.so.$SOVERSION"
"$WORK_DIR/consumer_pc_shared" || fail "consumer (pkg-config, shared) exited $?"

step "pkg-config: static link (gupsim-static.pc)"
static_libs=$("$PKG_CONFIG" --libs gupsim-static)
echo "gupsim-static libs: $static_libs"
# shellcheck disable=SC2086
"$CC" $EXTRA_FLAGS -std=c11 -Wall -Wextra -Werror $("$PKG_CONFIG" --cflags gupsim-static) \
	-o "$WORK_DIR/consumer_pc_static" "$SRC_DIR/consumer.c" $static_libs
if readelf -d "$WORK_DIR/consumer_pc_static" | grep -q "NEEDED.*libgupsim"; then
	fail "the static consumer needs libgupsim.so"
fi
"$WORK_DIR/consumer_pc_static" || fail "consumer (pkg-config, static) exited $?"

step "pkg-config: static link beside a harness's own find_vma, get_file, ..."
# shellcheck disable=SC2086
"$CC" $EXTRA_FLAGS -std=c11 -Wall -Wextra -Werror $("$PKG_CONFIG" --cflags gupsim-static) \
	-o "$WORK_DIR/static_clash" "$SRC_DIR/../abi/static_clash.c" $static_libs ||
	fail "a harness with its own kernel stubs does not link the installed libgupsim.a"
"$WORK_DIR/static_clash" || fail "static_clash (installed libgupsim.a) exited $?"

step "pkg-config: relocatable (the prefix moved after install)"
moved=$WORK_DIR/moved
cp -a "$prefix" "$moved"
for pc in gupsim gupsim-static; do
	d=$(PKG_CONFIG_PATH=$moved/$LIBDIR/pkgconfig "$PKG_CONFIG" --variable=libdir "$pc")
	[ "$d" -ef "$moved/$LIBDIR" ] || fail "$pc.pc in a moved prefix says libdir=$d"
	i=$(PKG_CONFIG_PATH=$moved/$LIBDIR/pkgconfig "$PKG_CONFIG" --variable=includedir "$pc")
	[ "$i" -ef "$moved/include" ] || fail "$pc.pc in a moved prefix says includedir=$i"
done
# shellcheck disable=SC2086
PKG_CONFIG_PATH=$moved/$LIBDIR/pkgconfig
"$CC" $EXTRA_FLAGS -std=c11 -Wall -Wextra -Werror $("$PKG_CONFIG" --cflags gupsim-static) \
	-o "$WORK_DIR/consumer_moved" "$SRC_DIR/consumer.c" $("$PKG_CONFIG" --libs gupsim-static) ||
	fail "building against the moved prefix"
"$WORK_DIR/consumer_moved" || fail "consumer (moved prefix) exited $?"
env -u LD_LIBRARY_PATH "$moved/bin/gupsim-run" -q \
	"$moved/share/doc/gupsim/examples/scenarios/case2_rdma_longterm.gsim" ||
	fail "gupsim-run in the moved prefix does not run"
rm -rf "$moved"
PKG_CONFIG_PATH=$libdir/pkgconfig

step "find_package(gupsim)"
"$CMAKE" -S "$SRC_DIR/cmake-consumer" -B "$WORK_DIR/cmake-build" -G "$GENERATOR" \
	-DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$EXTRA_FLAGS" \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
	-DCONSUMER_SOURCE="$SRC_DIR/consumer.c" ||
	fail "configuring the find_package consumer"
"$CMAKE" --build "$WORK_DIR/cmake-build" || fail "building the find_package consumer"
"$WORK_DIR/cmake-build/consumer_shared" || fail "consumer (gupsim::gupsim) exited $?"
"$WORK_DIR/cmake-build/consumer_static" || fail "consumer (gupsim::gupsim_static) exited $?"

printf '\ninstall test: all four consumers built against %s and passed\n' "$prefix"
