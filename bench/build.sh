# Sourced by the benchmarks: builds the release binary as shipped (`cargo build-release`, the
# alias in .cargo/config.toml: static-pie on Linux with glibc) and sets `smtpdoctor` to its
# path. Returns non-zero when the build fails.
build_smtpdoctor() {
    local target_dir host
    target_dir=${CARGO_TARGET_DIR:-$repo/target}
    [[ $target_dir == /* ]] || target_dir=$repo/$target_dir
    host=$(rustc -vV | sed -n 's/^host: //p')
    smtpdoctor=$target_dir/$host/release/smtpdoctor
    printf '== %s\n' "cargo build-release" >&2
    (cd "$repo" && cargo build-release --quiet)
}
