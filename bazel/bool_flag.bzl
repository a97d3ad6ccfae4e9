"""bool_flag: a boolean build setting, `--//pkg:name=true|false`.

Bazel 4.2.3 has Starlark build settings but this workspace has no skylib
dependency, so it defines the one rule it needs.
"""

BoolFlagInfo = provider(fields = ["value"])

def _bool_flag_impl(ctx):
    return [BoolFlagInfo(value = ctx.build_setting_value)]

bool_flag = rule(
    implementation = _bool_flag_impl,
    build_setting = config.bool(flag = True),
)
