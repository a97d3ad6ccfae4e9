"""A repository of cc_library targets for libraries installed by Debian.

For every pkg-config module named in `modules`, the generated repository has a
target of the same name (`@system//:absl_status`, `@system//:gtest_main`, ...)
whose defines and link options are what `pkg-config --cflags/--libs` prints on
this machine. Nothing is hand-copied, so the flags follow Debian's packages.

Headers stay where Debian installed them (/usr/include is a built-in include
directory of the C++ toolchain), so the targets have no `hdrs`. When Debian
updates a library, refresh the flags with `bazel sync --configure`.
"""

def _pkg_config(rctx, tool, args):
    result = rctx.execute([tool] + args)
    if result.return_code != 0:
        fail("pkg-config %s failed (is the library's -dev package installed? tools/bazel installs them):\n%s" %
             (" ".join(args), result.stderr))
    return [flag for flag in result.stdout.strip().split(" ") if flag]

def _starlark_list(items):
    return "[" + ", ".join(['"%s"' % item.replace("\\", "\\\\").replace('"', '\\"') for item in items]) + "]"

def _system_libraries_impl(rctx):
    tool = rctx.which("pkg-config")
    if tool == None:
        fail("pkg-config not found: install Debian's pkg-config (tools/bazel does this)")

    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for module in rctx.attr.modules:
        defines = []
        includes = []
        for flag in _pkg_config(rctx, tool, ["--cflags", module]):
            if flag.startswith("-D"):
                defines.append(flag[2:])
            elif flag.startswith("-I"):
                # Bazel only accepts include directories inside the repository:
                # link the directory in.
                link = "include/%s/%d" % (module, len(includes))
                rctx.symlink(flag[2:], link)
                includes.append(link)
            elif flag == "-pthread":
                pass  # --libs repeats it where it matters, at link time.
            else:
                fail("pkg-config --cflags %s printed %s, which this rule cannot express" % (module, flag))
        linkopts = _pkg_config(rctx, tool, ["--libs", module])
        build.append("""cc_library(
    name = "{name}",
    defines = {defines},
    includes = {includes},
    linkopts = {linkopts},
)
""".format(
            name = module,
            defines = _starlark_list(defines),
            includes = _starlark_list(includes),
            linkopts = _starlark_list(linkopts),
        ))

    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name, executable = False)
    rctx.file("BUILD.bazel", "\n".join(build), executable = False)

system_libraries = repository_rule(
    implementation = _system_libraries_impl,
    attrs = {
        "modules": attr.string_list(mandatory = True),
    },
    environ = ["PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR"],
    local = True,
)
