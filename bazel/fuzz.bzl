"""fuzz_target: a libFuzzer target, and a short run of it as a test.

    fuzz_target(
        name = "fw_cfg_config_fuzzer",
        srcs = ["fw_cfg_config_fuzzer.cc"],
        deps = ["//fw_cfg/config"],
    )

defines
  - `<name>`: the fuzzer, a cc_binary rebuilt with the target and every dep
    compiled with -fsanitize=fuzzer-no-link,address,undefined and linked with
    libFuzzer's main() (the "fuzzer" mode of bazel/sanitizer_test.bzl's
    configuration transition, so no --config flag is needed);
  - `<name>_short_test`: an sh_test that copies the seed corpus
    (`corpus`, default corpus/<name>/ in the package) and fuzzes from it for
    `max_total_time` seconds (at most `runs` executions), failing on any
    crash, sanitizer report, leak, timeout or out-of-memory.

Optional libFuzzer flags for both the test and tools/fuzz go in
`<name>.options` next to the BUILD file, one per line (e.g. -max_len=65536,
-dict=fuzz/dicts/qtest.dict with paths from the workspace root); any files it
names must be listed in `data`.

Prebuilt system libraries (abseil, re2) stay uninstrumented. Do not link
gtest_main: libFuzzer supplies main().
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")
load("//bazel:sanitizer_test.bzl", "forward_executable", "sanitizer_transition")

def _fuzz_binary_impl(ctx):
    link, runfiles = forward_executable(ctx, ctx.attr.binary[0])
    return [DefaultInfo(executable = link, runfiles = runfiles)]

_fuzz_binary = rule(
    implementation = _fuzz_binary_impl,
    executable = True,
    attrs = {
        "binary": attr.label(
            mandatory = True,
            executable = True,
            cfg = sanitizer_transition,
            doc = "The cc_binary to rebuild with libFuzzer, ASan and UBSan.",
        ),
        # Read by the transition.
        "sanitizer": attr.string(default = "fuzzer", values = ["fuzzer"]),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

def fuzz_target(
        name,
        srcs,
        deps = [],
        corpus = None,
        data = [],
        max_total_time = 15,
        runs = 500000,
        runner = "//fuzz:short_run.sh",
        **kwargs):
    """A libFuzzer binary `name` and its bounded run `name`_short_test.

    Args:
      name: the fuzzer's name; also its corpus and options file names.
      srcs: sources defining LLVMFuzzerTestOneInput.
      deps: libraries; they are rebuilt instrumented.
      corpus: the seed directory, relative to the package (corpus/<name>).
      data: files the options name (dictionaries).
      max_total_time: seconds the short test fuzzes.
      runs: at most this many executions in the short test.
      runner: the short test's script.
      **kwargs: passed to the test (size, tags, ...).
    """
    corpus = corpus or "corpus/" + name
    options = native.glob([name + ".options"])

    # Only buildable through `name`: without -fsanitize=fuzzer it has no main.
    # Test tooling, so it may use test-only libraries (the linker/loader's
    # firmware model).
    cc_binary(
        name = name + "_cc",
        testonly = True,
        srcs = srcs,
        deps = deps,
        tags = ["manual"],
        visibility = ["//visibility:private"],
    )
    _fuzz_binary(
        name = name,
        testonly = True,
        binary = ":" + name + "_cc",
    )

    package = native.package_name()
    native.sh_test(
        name = name + "_short_test",
        srcs = [runner],
        args = [
            "$(rootpath :%s)" % name,
            (package + "/" if package else "") + corpus,
            (package + "/" + options[0]) if options else "-",
            str(max_total_time),
            str(runs),
        ],
        data = [":" + name] + native.glob([corpus + "/**"]) + options + data,
        **kwargs
    )
