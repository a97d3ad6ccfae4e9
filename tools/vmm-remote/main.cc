// vmm-remote: the control API from the command line, as Cloud Hypervisor's
// ch-remote. See README.md.

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tools/vmm-remote/client.h"

namespace {

constexpr char kUsage[] = R"(Usage: vmm-remote --api-socket PATH COMMAND [ARGS]

Commands (each one call of the vmm's control API, docs/api.md):
  info                          GET vm.info: state, vCPUs, memory
  pause | resume | shutdown     PUT vm.pause / vm.resume / vm.shutdown
  snapshot DIR                  PUT vm.snapshot into DIR (paused VMs only)
  fw-cfg-list                   GET fw-cfg.list: the fw_cfg directory
  add-item NAME --file PATH|--string TEXT
                                PUT fw-cfg.add-item
  modify-item NAME --file PATH|--string TEXT
                                PUT fw-cfg.modify-item
  vmcoreinfo                    GET fw-cfg.vmcoreinfo
  raw METHOD ENDPOINT [BODY]    any request; prints "HTTP STATUS" and the
                                body, and exits 0 whatever the status

Exit status: 0 success (2xx), 1 an HTTP error or no answer (the message on
standard error), 2 a bad command line.
)";

int Usage(const std::string& message) {
  std::fprintf(stderr, "vmm-remote: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

// The VMM resolves paths from its own directory: send absolute ones.
std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::string socket;
  if (args.size() >= 2 && args[0] == "--api-socket") {
    socket = args[1];
    args.erase(args.begin(), args.begin() + 2);
  } else if (!args.empty() && args[0].rfind("--api-socket=", 0) == 0) {
    socket = args[0].substr(13);
    args.erase(args.begin());
  }
  if (socket.empty()) return Usage("--api-socket PATH is required");
  if (args.empty()) return Usage("no command");
  const std::string command = args[0];
  std::string method, endpoint, body;
  bool raw = false;
  auto item_body = [&](const char* name) -> bool {
    if (args.size() != 4 || (args[2] != "--file" && args[2] != "--string")) {
      return false;
    }
    nlohmann::json json = {{"name", args[1]}};
    if (args[2] == "--file") {
      json["file"] = Absolute(args[3]);
    } else {
      json["string"] = args[3];
    }
    method = "PUT";
    endpoint = name;
    body = json.dump();
    return true;
  };
  if (command == "info" && args.size() == 1) {
    method = "GET", endpoint = "vm.info";
  } else if ((command == "pause" || command == "resume" ||
              command == "shutdown") &&
             args.size() == 1) {
    method = "PUT", endpoint = "vm." + command;
  } else if (command == "snapshot" && args.size() == 2) {
    method = "PUT", endpoint = "vm.snapshot";
    body = nlohmann::json{{"destination_url", "file://" + Absolute(args[1])}}
               .dump();
  } else if (command == "fw-cfg-list" && args.size() == 1) {
    method = "GET", endpoint = "fw-cfg.list";
  } else if (command == "add-item") {
    if (!item_body("fw-cfg.add-item"))
      return Usage("add-item NAME --file PATH|--string TEXT");
  } else if (command == "modify-item") {
    if (!item_body("fw-cfg.modify-item"))
      return Usage("modify-item NAME --file PATH|--string TEXT");
  } else if (command == "vmcoreinfo" && args.size() == 1) {
    method = "GET", endpoint = "fw-cfg.vmcoreinfo";
  } else if (command == "raw" && (args.size() == 3 || args.size() == 4)) {
    raw = true;
    method = args[1], endpoint = args[2];
    if (args.size() == 4) body = args[3];
  } else {
    return Usage("bad command: " + command);
  }

  absl::StatusOr<vmm_remote::ApiReply> reply =
      vmm_remote::CallApi(socket, method, endpoint, body);
  if (!reply.ok()) {
    std::fprintf(stderr, "vmm-remote: %s\n",
                 std::string(reply.status().message()).c_str());
    return 1;
  }
  if (raw) {
    std::printf("HTTP %d\n%s\n", reply->status, reply->body.c_str());
    return 0;
  }
  if (reply->status / 100 != 2) {
    std::string message = reply->body;
    nlohmann::json json = nlohmann::json::parse(reply->body, nullptr, false);
    if (json.is_object() && json.contains("error") &&
        json["error"].is_string()) {
      message = json["error"].get<std::string>();
    }
    std::fprintf(stderr, "vmm-remote: HTTP %d: %s\n", reply->status,
                 message.c_str());
    return 1;
  }
  if (!reply->body.empty()) {
    nlohmann::json json = nlohmann::json::parse(reply->body, nullptr, false);
    std::printf("%s\n", json.is_discarded() ? reply->body.c_str()
                                            : json.dump(2).c_str());
  }
  return 0;
}
