# shellcheck shell=bash
# Sourced by scripts/cross.sh: the toolchain for other targets, without rustup downloads.
#
# Debian's rustc-web/cargo-web 1.96 with rust-web-src rebuild `std` for each target
# (`-Zbuild-std`, allowed by RUSTC_BOOTSTRAP=1); the machine's rustup toolchain stays the
# host's. Linkers: mingw-w64 (Windows), aarch64-linux-gnu-gcc, musl-gcc; wasm links with
# rust-lld. Runners: wine (Windows), qemu-user (aarch64), Node's node:wasi (WASI,
# scripts/cross/wasi-run.mjs).
#
# Two link-time shims (and a DLL for wine, see cross_wine_prefix), built under $SHIMS (never part of the libraries or the binary's
# source; no C is compiled into them beyond these stubs):
# - x86_64 musl binaries: LLVM's libunwind.a (Debian builds it against glibc) plus an
#   `__fprintf_chk` forwarding to `vfprintf`, which that libunwind references.
# - wasm32-wasip1 binaries: Debian's 2022 wasi-libc lacks the pthread_* functions std 1.96
#   references, and `realpath` (std::fs::canonicalize, used by virtual datasets); stubs:
#   pthread_create returns "not supported" (ENOTSUP), so spawning a thread is an error the
#   caller sees (jangada-hdf5 then decodes on one thread); realpath returns NULL, so
#   canonicalize is an error (virtual datasets then resolve sources without it).
#
# Needs: $ROOT, $TARGET_DIR, $LOG. Sets: $SHIMS, CARGO env, $WINE, $QEMU_AARCH64.

CROSS_APT="rustc-web cargo-web rust-web-src lld-22 llvm-22 gcc-mingw-w64-x86-64 \
gcc-aarch64-linux-gnu libc6-dev-arm64-cross musl-tools libunwind-22-dev wasi-libc wine64 \
qemu-user jq"

# apt packages: one dpkg query when all are installed (the usual case).
cross_apt() {
    local want have
    want=$(echo "$CROSS_APT" | wc -w)
    # shellcheck disable=SC2086
    have=$(dpkg-query -W -f='${Status}\n' $CROSS_APT 2>/dev/null | grep -c 'install ok installed')
    [ "$have" -eq "$want" ] && return 0
    echo "installing: $CROSS_APT"
    export DEBIAN_FRONTEND=noninteractive
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    # shellcheck disable=SC2086
    { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends $CROSS_APT; } \
        >"$LOG/apt.log" 2>&1 || { echo "apt-get failed: $LOG/apt.log" >&2; return 1; }
}

# The two link shims (rebuilt only when missing).
cross_shims() {
    SHIMS=$TARGET_DIR/cross-shims
    mkdir -p "$SHIMS"
    if [ ! -f "$SHIMS/libunwind.a" ]; then
        cp /usr/lib/llvm-22/lib/libunwind.a "$SHIMS/libunwind.a.tmp"
        printf '%s\n' '#include <stdio.h>' '#include <stdarg.h>' \
            'int __fprintf_chk(FILE *f, int flag, const char *fmt, ...) {' \
            '    va_list a; va_start(a, fmt); int r = vfprintf(f, fmt, a); va_end(a); return r;' \
            '}' >"$SHIMS/fprintf_chk.c"
        musl-gcc -c "$SHIMS/fprintf_chk.c" -o "$SHIMS/fprintf_chk.o" &&
            ar rs "$SHIMS/libunwind.a.tmp" "$SHIMS/fprintf_chk.o" 2>/dev/null &&
            mv "$SHIMS/libunwind.a.tmp" "$SHIMS/libunwind.a" || return 1
    fi
    if [ ! -f "$SHIMS/wasi_stubs.o" ]; then
        local f n args
        {
            echo .text
            for f in pthread_attr_init:1 pthread_attr_destroy:1 pthread_attr_setstacksize:2 \
                pthread_create:4 pthread_join:2 pthread_detach:1 realpath:2; do
                n=${f%:*}
                args=$(printf 'i32,%.0s' $(seq "${f#*:}"))
                printf '.globl %s\n.type %s,@function\n%s:\n.functype %s (%s) -> (i32)\n' \
                    "$n" "$n" "$n" "$n" "${args%,}"
                printf 'i32.const %s\nend_function\n' "$([ "$n" = pthread_create ] && echo 58 || echo 0)"
            done
        } >"$SHIMS/wasi_stubs.s"
        llvm-mc-22 -triple=wasm32-wasi -filetype=obj "$SHIMS/wasi_stubs.s" \
            -o "$SHIMS/wasi_stubs.o" || return 1
    fi
}

cross_env() {
    export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
    # No debug info: ~45 test binaries a target with it take ~5 GB and link slowly.
    export CARGO_PROFILE_TEST_DEBUG=0 CARGO_PROFILE_DEV_DEBUG=0 CARGO_INCREMENTAL=0
    export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
    export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=musl-gcc
    export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C link-self-contained=no -L native=$SHIMS"
    export CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="-C link-self-contained=no \
-L native=/usr/lib/wasm32-wasi -C link-arg=/usr/lib/wasm32-wasi/crt1-command.o \
-C link-arg=$SHIMS/wasi_stubs.o"
    # Runners (used by scripts/cross/tests.sh).
    WINE=/usr/lib/wine/wine64
    export WINEDEBUG=-all WINEPREFIX=$TARGET_DIR/cross-wine
    QEMU_AARCH64="qemu-aarch64 -L /usr/aarch64-linux-gnu"
}

# A throwaway wine prefix, initialised once (the first start takes ~20 s). Wine 8.0 has no
# bcryptprimitives.dll, whose ProcessPrng std 1.96 imports (random numbers): a stand-in
# built with mingw (ProcessPrng through advapi32's RtlGenRandom) goes into its system32.
cross_wine_prefix() {
    local sys=$WINEPREFIX/drive_c/windows/system32
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        mkdir -p "$WINEPREFIX"
        DISPLAY= "$WINE" wineboot --init >"$LOG/wineboot.log" 2>&1
        /usr/lib/wine/wineserver -w 2>/dev/null || true
    fi
    [ -f "$sys/bcryptprimitives.dll" ] && return 0
    printf '%s\n' '#include <windows.h>' \
        'BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len); /* RtlGenRandom */' \
        'BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {' \
        '    while (len) {' \
        '        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;' \
        '        if (!SystemFunction036(data, n)) return FALSE;' \
        '        data += n; len -= n;' \
        '    }' \
        '    return TRUE;' \
        '}' >"$SHIMS/bcryptprimitives.c"
    x86_64-w64-mingw32-gcc -shared -O2 -o "$SHIMS/bcryptprimitives.dll" \
        "$SHIMS/bcryptprimitives.c" -ladvapi32 &&
        cp "$SHIMS/bcryptprimitives.dll" "$sys/"
}
