"""vmm_fw_cfg_variant: the vmm binary built with --//vmm:fw_cfg set as given.

Lets `bazel test //...` test the build without fw_cfg next to the default
one, with no second command line.
"""

_FLAG = "//vmm:fw_cfg"

def _transition_impl(settings, attr):
    return {_FLAG: attr.fw_cfg}

_fw_cfg_transition = transition(
    implementation = _transition_impl,
    inputs = [],
    outputs = [_FLAG],
)

def _variant_impl(ctx):
    binary = ctx.attr.binary[0][DefaultInfo].files_to_run.executable
    link = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = link, target_file = binary, is_executable = True)
    return [DefaultInfo(executable = link, files = depset([link]))]

vmm_fw_cfg_variant = rule(
    implementation = _variant_impl,
    executable = True,
    attrs = {
        "binary": attr.label(mandatory = True, executable = True, cfg = _fw_cfg_transition),
        "fw_cfg": attr.bool(mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
