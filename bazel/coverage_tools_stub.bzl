"""A local stand-in for @remote_coverage_tools.

Bazel 4.2.3's test rules carry implicit dependencies on
@remote_coverage_tools//:coverage_report_generator and :lcov_merger even when no
coverage is collected. The real repository is a download; this project builds
offline, so two empty filegroups satisfy the labels. `bazel coverage` is
therefore not supported.
"""

def _coverage_tools_stub_impl(rctx):
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name, executable = False)
    rctx.file("BUILD.bazel", """\
package(default_visibility = ["//visibility:public"])

filegroup(name = "coverage_report_generator")

filegroup(name = "lcov_merger")
""", executable = False)

coverage_tools_stub = repository_rule(implementation = _coverage_tools_stub_impl)
