"""A repository of cc_library targets for libraries installed by Debian.

For every pkg-config module named in `modules`, the generated repository has a
target of the same name (`@system//:absl_status`, `@system//:gtest_main`, ...)
whose defines and link options are what `pkg-config --cflags/--libs` prints on
this machine. Nothing is hand-copied, so the flags follow Debian's packages.

Libraries are linked statically where Debian ships an archive (abseil,
re2, googletest do; glibc's pthread/rt stay shared): each target links
`pkg-config --static --libs` with every `-lNAME` that has a libNAME.a turned
into `-l:libNAME.a`, inside one --start-group/--end-group so that archive
order never matters. Binaries such as the vmm then run on hosts without the
-dev packages.

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

# Where Debian installs libraries on amd64 (multiarch first).
_LIBRARY_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib", "/lib/x86_64-linux-gnu"]

def _static_linkopts(rctx, flags):
    """Prefers archives, grouped so their order does not matter."""
    linked = []
    for flag in flags:
        if flag.startswith("-l") and not flag.startswith("-l:"):
            archive = "lib%s.a" % flag[2:]
            for directory in _LIBRARY_DIRS:
                if rctx.path(directory + "/" + archive).exists:
                    flag = "-l:" + archive
                    break
        linked.append(flag)
    return ["-Wl,--start-group"] + linked + ["-Wl,--end-group"]

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
        linkopts = _static_linkopts(rctx, _pkg_config(rctx, tool, ["--static", "--libs", module]))
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
