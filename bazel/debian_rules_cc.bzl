"""Provides @rules_cc from Debian's `bazel-rules-cc`, adapted to Bazel 4.2.3.

Debian ships a rules_cc that is newer than its Bazel: two of its rules pass
`toolchains = use_cpp_toolchain()`, a helper that Bazel 4.2.3's
@bazel_tools//tools/cpp:toolchain_utils.bzl does not export. This rule copies
the Debian tree and rewrites exactly those call sites to the literal toolchain
type list that `use_cpp_toolchain()` returns, so that every BUILD file can keep
`load("@rules_cc//cc:defs.bzl", ...)`. It fails loudly if the Debian files no
longer look as expected, instead of silently producing a broken repository.
"""

_PATCHED_FILES = [
    "cc/private/rules_impl/cc_flags_supplier.bzl",
    "cc/private/rules_impl/compiler_flag.bzl",
]

_OLD_LOAD = '"find_cpp_toolchain", "use_cpp_toolchain")'
_NEW_LOAD = '"find_cpp_toolchain")'
_OLD_CALL = "use_cpp_toolchain()"
_NEW_CALL = '["@bazel_tools//tools/cpp:toolchain_type"]'

def _debian_rules_cc_impl(rctx):
    src = rctx.attr.path
    if not rctx.path(src + "/cc/defs.bzl").exists:
        fail("rules_cc not found at %s: install Debian's bazel-rules-cc (tools/bazel does this)" % src)
    result = rctx.execute(["cp", "-R", src + "/.", "."])
    if result.return_code != 0:
        fail("copying %s failed: %s" % (src, result.stderr))

    for relative in _PATCHED_FILES:
        content = rctx.read(relative)
        if _OLD_LOAD not in content or _OLD_CALL not in content:
            fail("%s/%s no longer matches the expected shape; update bazel/debian_rules_cc.bzl" % (src, relative))
        content = content.replace(_OLD_LOAD, _NEW_LOAD).replace(_OLD_CALL, _NEW_CALL)
        rctx.file(relative, content, executable = False)

    # Debian's WORKSPACE file downloads rules_cc's own dependencies; an external
    # repository only needs its name.
    rctx.file("WORKSPACE", 'workspace(name = "rules_cc")\n', executable = False)

debian_rules_cc = repository_rule(
    implementation = _debian_rules_cc_impl,
    attrs = {
        "path": attr.string(default = "/usr/share/bazel/rules/cc"),
    },
    local = True,
)
