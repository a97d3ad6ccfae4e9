"""fwcfg_vmm_dependencies(): the external repositories our BUILD files use.

Our own WORKSPACE calls it, and so does the WORKSPACE of any workspace that
uses fwcfg-vmm as an external repository (named `fwcfg_vmm`, its workspace
name, in our documentation):

    local_repository(
        name = "fwcfg_vmm",
        path = "/path/to/fwcfg-vmm",  # or http_archive, git_repository, ...
    )

    load("@fwcfg_vmm//bazel:repositories.bzl", "fwcfg_vmm_dependencies")

    fwcfg_vmm_dependencies()

It defines, from Debian packages and without downloading anything:
  - @rules_cc: Debian's bazel-rules-cc, adapted to Bazel 4.2.3
    (bazel/debian_rules_cc.bzl);
  - @rules_java: Debian's bazel-rules-java, which Bazel 4.2.3's test rules
    need;
  - @remote_coverage_tools: a stub for the test rules' implicit coverage
    dependencies (bazel/coverage_tools_stub.bzl; `bazel coverage` is not
    supported);
  - @system: one cc_library per pkg-config module in SYSTEM_MODULES, plus
    `extra_system_modules` (bazel/system_libraries.bzl).

A repository the calling workspace has already defined under one of these
names is left as it is. A workspace that brings its own @system must give it
a target for every module in SYSTEM_MODULES.

The compiler flags are not repositories: the calling workspace's .bazelrc
needs those of ours (clang 14, C++20); see README.md.
"""

# Labels relative to this file's repository: @fwcfg_vmm in a consumer, the
# main repository in our own workspace.
load("//bazel:coverage_tools_stub.bzl", "coverage_tools_stub")
load("//bazel:debian_rules_cc.bzl", "debian_rules_cc")
load("//bazel:system_libraries.bzl", "system_libraries")

# The pkg-config modules behind @system//:<module>, the one list for our
# workspace and every consumer's. All of them must be installed (tools/bazel
# lists the Debian packages), because pkg-config generates the whole
# repository at once.
SYSTEM_MODULES = [
    "absl_base",
    "absl_flags",
    "absl_flat_hash_map",
    "absl_flat_hash_set",
    "absl_function_ref",
    "absl_flags_parse",
    "absl_span",
    "absl_status",
    "absl_statusor",
    "absl_str_format",
    "absl_strings",
    "absl_synchronization",
    "absl_time",
    "benchmark",
    "cpp-httplib",
    "gmock",
    "gmock_main",
    "gtest",
    "gtest_main",
    "nlohmann_json",
    "re2",
    "zlib",
]

def fwcfg_vmm_dependencies(extra_system_modules = []):
    """Defines @rules_cc, @rules_java, @remote_coverage_tools and @system.

    Call it from a WORKSPACE file, after the repository that holds
    fwcfg-vmm (`fwcfg_vmm`). Repositories already defined are skipped.

    Args:
      extra_system_modules: more pkg-config modules for @system, for the
        calling workspace's own targets (e.g. ["absl_hash"]).
    """
    if not native.existing_rule("rules_cc"):
        debian_rules_cc(name = "rules_cc")

    if not native.existing_rule("rules_java"):
        native.local_repository(
            name = "rules_java",
            path = "/usr/share/bazel/rules/java",
        )

    if not native.existing_rule("remote_coverage_tools"):
        coverage_tools_stub(name = "remote_coverage_tools")

    if not native.existing_rule("system"):
        modules = list(SYSTEM_MODULES)
        for module in extra_system_modules:
            if module not in modules:
                modules.append(module)
        system_libraries(
            name = "system",
            modules = modules,
        )
