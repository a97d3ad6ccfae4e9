"""sanitizer_test: runs an existing cc_test again, built with a sanitizer.

    sanitizer_test(name = "bus_concurrency_tsan_test", test = ":bus_concurrency_test",
                   sanitizer = "thread")

The wrapped test and everything it depends on are rebuilt in a configuration
that adds -fsanitize=<sanitizer> to the compile and link options (a Starlark
configuration transition), so `bazel test //...` runs the sanitized build
without any --config flag. Prebuilt system libraries (abseil, gtest) stay
uninstrumented; see //base:mutex for why the project's own locks avoid
absl::Mutex under ThreadSanitizer.

The transition is also exported as `sanitizer_transition` for other rules
(bazel/fuzz.bzl): it reads the `sanitizer` attribute of the rule that uses
it, which may also be "fuzzer" (libFuzzer with ASan and UBSan).
"""

_COPT = "//command_line_option:copt"
_LINKOPT = "//command_line_option:linkopt"

_RUNTIME_OPTIONS = {
    "address": {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1"},
    "thread": {"TSAN_OPTIONS": "halt_on_error=1:second_deadlock_stack=1"},
    "undefined": {"UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"},
}

def _without_sanitizers(flags):
    return [flag for flag in flags if not flag.startswith("-fsanitize") and not flag.startswith("-fno-sanitize")]

# libFuzzer's coverage instrumentation everywhere, its main() only at the link.
_FUZZER_COPTS = ["-fsanitize=fuzzer-no-link,address,undefined", "-fno-sanitize-recover=all"]
_FUZZER_LINKOPTS = ["-fsanitize=fuzzer,address,undefined", "-fsanitize-link-c++-runtime"]

def _sanitizer_transition_impl(settings, attr):
    if attr.sanitizer == "fuzzer":
        return {
            _COPT: _without_sanitizers(settings[_COPT]) + _FUZZER_COPTS + ["-g", "-O1", "-fno-omit-frame-pointer"],
            _LINKOPT: _without_sanitizers(settings[_LINKOPT]) + _FUZZER_LINKOPTS,
        }
    sanitize = ["-fsanitize=" + attr.sanitizer]
    link_extra = []
    if attr.sanitizer == "undefined":
        sanitize.append("-fno-sanitize-recover=all")

        # Bazel links with the C driver; the vptr checks need the C++ runtime.
        link_extra.append("-fsanitize-link-c++-runtime")
    return {
        _COPT: _without_sanitizers(settings[_COPT]) + sanitize + ["-g", "-O1", "-fno-omit-frame-pointer"],
        _LINKOPT: _without_sanitizers(settings[_LINKOPT]) + sanitize + link_extra,
    }

_sanitizer_transition = transition(
    implementation = _sanitizer_transition_impl,
    inputs = [_COPT, _LINKOPT],
    outputs = [_COPT, _LINKOPT],
)

# For rules with a `sanitizer` attribute: "address", "thread", "undefined" or
# "fuzzer".
sanitizer_transition = _sanitizer_transition

def forward_executable(ctx, target):
    """Re-exports `target`'s executable under the rule's own name.

    Args:
      ctx: the rule context.
      target: an executable target built in another configuration.

    Returns:
      (the symlink, runfiles with the target's).
    """
    executable = target[DefaultInfo].files_to_run.executable
    link = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = link, target_file = executable, is_executable = True)
    runfiles = ctx.runfiles(files = [executable]).merge(target[DefaultInfo].default_runfiles)
    return link, runfiles

def _sanitizer_test_impl(ctx):
    link, runfiles = forward_executable(ctx, ctx.attr.test[0])
    return [
        DefaultInfo(executable = link, runfiles = runfiles),
        testing.TestEnvironment(_RUNTIME_OPTIONS[ctx.attr.sanitizer]),
    ]

sanitizer_test = rule(
    implementation = _sanitizer_test_impl,
    test = True,
    attrs = {
        "test": attr.label(
            mandatory = True,
            executable = True,
            cfg = _sanitizer_transition,
            doc = "The cc_test to rebuild and run with the sanitizer.",
        ),
        "sanitizer": attr.string(
            mandatory = True,
            values = ["address", "thread", "undefined"],
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
