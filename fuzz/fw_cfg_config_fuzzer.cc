// Fuzzes the --fw-cfg-config parser (fw_cfg/config/fw_cfg_config.h) with the
// input as the option value. Every input must either parse or fail with a
// one-line InvalidArgumentError; whatever parses must survive
// RenderFwCfgConfig and a second parse unchanged.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fuzz/fuzz_check.h"
#include "fw_cfg/config/fw_cfg_config.h"

namespace {

// Option values come from a command line; longer ones add nothing.
constexpr size_t kMaxInput = 4096;

bool OneLine(std::string_view text) {
  return text.find('\n') == std::string_view::npos &&
         text.find('\r') == std::string_view::npos;
}

// The fields a render/parse round trip must keep (everything but warnings).
fw_cfg::FwCfgConfig WithoutWarnings(fw_cfg::FwCfgConfig config) {
  config.warnings.clear();
  return config;
}

std::string Describe(const fw_cfg::FwCfgConfig& c) {
  std::string out = c.enabled ? "enabled" : "disabled";
  for (bool flag :
       {c.e820, c.kernel, c.cmdline, c.initramfs, c.acpi_table, c.vmcoreinfo}) {
    out += flag ? " on" : " off";
  }
  for (const fw_cfg::FwCfgItemConfig& item : c.items) {
    out +=
        " [" + item.name +
        (item.source == fw_cfg::FwCfgItemConfig::Source::kFile ? " file="
                                                               : " string=") +
        item.value + "]";
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return -1;  // Not added to the corpus.
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<fw_cfg::FwCfgConfig> config = fw_cfg::ParseFwCfgConfig(text);
  if (!config.ok()) {
    const absl::Status& status = config.status();
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument, "%s",
               status.ToString().c_str());
    FUZZ_CHECK(!status.message().empty(), "empty error message");
    const std::string_view message(status.message().data(),
                                   status.message().size());
    FUZZ_CHECK(OneLine(message), "multi-line error: %s",
               std::string(status.message()).c_str());
    return 0;
  }

  for (const std::string& warning : config->warnings) {
    FUZZ_CHECK(OneLine(warning), "multi-line warning: %s", warning.c_str());
  }
  if (!config->enabled) {
    fw_cfg::FwCfgConfig disabled;
    disabled.enabled = false;
    FUZZ_CHECK(WithoutWarnings(*config) == disabled,
               "`disable` with other fields set: %s",
               Describe(*config).c_str());
  }
  for (const fw_cfg::FwCfgItemConfig& item : config->items) {
    FUZZ_CHECK(fw_cfg::ValidateFwCfgItemName(item.name).ok(),
               "accepted an invalid name: %s", item.name.c_str());
    FUZZ_CHECK(item.source == fw_cfg::FwCfgItemConfig::Source::kString ||
                   !item.value.empty(),
               "accepted an empty file= path for %s", item.name.c_str());
  }

  const std::string rendered = fw_cfg::RenderFwCfgConfig(*config);
  absl::StatusOr<fw_cfg::FwCfgConfig> reparsed =
      fw_cfg::ParseFwCfgConfig(rendered);
  FUZZ_CHECK(reparsed.ok(), "the rendering `%s` does not parse: %s",
             rendered.c_str(), reparsed.status().ToString().c_str());
  FUZZ_CHECK(WithoutWarnings(*reparsed) == WithoutWarnings(*config),
             "round trip changed the config:\n  parsed:   %s\n  rendered: "
             "%s\n  reparsed: %s",
             Describe(*config).c_str(), rendered.c_str(),
             Describe(*reparsed).c_str());
  // Rendering is canonical: a second round gives the same text.
  const std::string rerendered = fw_cfg::RenderFwCfgConfig(*reparsed);
  FUZZ_CHECK(rerendered == rendered, "rendering not stable: `%s` then `%s`",
             rendered.c_str(), rerendered.c_str());
  return 0;
}
