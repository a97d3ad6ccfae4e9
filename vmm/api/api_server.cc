#include "vmm/api/api_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/mutex.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "vmm/fw_cfg_part.h"
#include "vmm/snapshot/snapshot.h"

namespace vmm {
namespace {

using nlohmann::json;

constexpr char kPrefix[] = "/api/v1/";

// An answer: a status and a JSON body (none for 204).
struct Reply {
  int status = 204;
  json body;
};

Reply Error(int status, const std::string& message) {
  return {status, json{{"error", message}}};
}

// absl's codes as HTTP statuses.
int HttpStatus(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 507;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

Reply FromStatus(const absl::Status& status, Reply ok = {}) {
  if (status.ok()) return ok;
  return Error(HttpStatus(status.code()), std::string(status.message()));
}

// httplib's server, listening on a socket we made: it accepts on
// svr_sock_ whatever its address family.
class UnixHttpServer : public httplib::Server {
 public:
  bool ServeOn(int listening_fd) {
    svr_sock_ = listening_fd;
    return listen_after_bind();
  }
};

absl::StatusOr<base::UniqueFd> Listen(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--api-socket: the path must be 1 to %d bytes",
                        sizeof(address.sun_path) - 1));
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::AlreadyExistsError(
          absl::StrFormat("--api-socket: %s exists and is not a socket", path));
    }
    // A socket someone still listens on is in use; a stale one is replaced.
    base::UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe.valid() &&
        connect(probe.get(), reinterpret_cast<sockaddr*>(&address),
                sizeof(address)) == 0) {
      return absl::AlreadyExistsError(absl::StrFormat(
          "--api-socket: %s is in use by another process", path));
    }
    unlink(path.c_str());
  }
  // Bound under a temporary name and renamed into place once it listens,
  // so that a client waiting for the file never meets a socket that
  // refuses connections.
  const std::string temporary = absl::StrFormat("%s.%d.tmp", path, getpid());
  sockaddr_un bound{};
  bound.sun_family = AF_UNIX;
  if (temporary.size() >= sizeof(bound.sun_path)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--api-socket: the path must be at most %d bytes",
        sizeof(bound.sun_path) - 1 - (temporary.size() - path.size())));
  }
  std::memcpy(bound.sun_path, temporary.data(), temporary.size());
  unlink(temporary.c_str());
  base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket");
  // Only our user may connect: the API can read guest data and stop the VM.
  const mode_t old_mask = umask(0177);
  const int bind_result =
      bind(fd.get(), reinterpret_cast<sockaddr*>(&bound), sizeof(bound));
  const int bind_errno = errno;
  umask(old_mask);
  if (bind_result != 0) {
    return absl::ErrnoToStatus(
        bind_errno, absl::StrFormat("--api-socket: cannot bind %s", path));
  }
  if (chmod(temporary.c_str(), 0600) != 0 || listen(fd.get(), 16) != 0 ||
      rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(temporary.c_str());
    return absl::ErrnoToStatus(
        error, absl::StrFormat("--api-socket: cannot listen on %s", path));
  }
  return fd;
}

// Reads a required string member; `reply` gets the error.
bool StringMember(const json& body, const char* name, std::string& out,
                  Reply& reply) {
  auto it = body.find(name);
  if (it == body.end()) {
    reply = Error(400, absl::StrFormat("missing \"%s\"", name));
    return false;
  }
  if (!it->is_string()) {
    reply = Error(400, absl::StrFormat("\"%s\" must be a string, not %s", name,
                                       it->type_name()));
    return false;
  }
  out = it->get<std::string>();
  return true;
}

}  // namespace

class ApiServer::Impl {
 public:
  Impl(Machine& machine, std::vector<std::string> machine_args,
       std::string path, base::UniqueFd fd)
      : machine_(machine),
        machine_args_(std::move(machine_args)),
        path_(std::move(path)),
        fd_(std::move(fd)) {}

  ~Impl() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
    unlink(path_.c_str());
  }

  void Start() {
    server_.set_payload_max_length(kMaxBody);
    server_.set_read_timeout(5, 0);
    auto handler = [this](const httplib::Request& request,
                          httplib::Response& response) {
      Reply reply = Handle(request.method, request.path, request.body);
      Send(reply, response);
    };
    const char* kAll = ".*";
    server_.Get(kAll, handler);
    server_.Put(kAll, handler);
    server_.Post(kAll, handler);
    server_.Delete(kAll, handler);
    server_.Patch(kAll, handler);
    // What httplib answers itself (413 for a body over the limit, 400 for
    // a malformed request line) gets a JSON body too.
    server_.set_error_handler([](const httplib::Request&,
                                 httplib::Response& response) {
      if (!response.body.empty()) return;
      const std::string message =
          response.status == 413
              ? absl::StrFormat("request body over %d bytes", kMaxBody)
              : absl::StrFormat("HTTP %d: malformed request", response.status);
      response.set_content(json{{"error", message}}.dump(), "application/json");
    });
    thread_ = std::thread([this] { server_.ServeOn(fd_.release()); });
    // stop() only ends a server that is already listening.
    while (!server_.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void Attach(VmControl* control) {
    base::MutexLock lock(mu_);
    control_ = control;
  }

 private:
  static void Send(const Reply& reply, httplib::Response& response) {
    response.status = reply.status;
    if (reply.status != 204) {
      response.set_content(reply.body.dump(), "application/json");
    }
  }

  Reply Handle(const std::string& method, const std::string& path,
               const std::string& body) {
    base::MutexLock lock(mu_);
    if (path.rfind(kPrefix, 0) != 0) {
      return Error(404, absl::StrFormat("no such endpoint: %s", path));
    }
    const std::string name = path.substr(std::strlen(kPrefix));
    struct Route {
      const char* name;
      const char* method;
      Reply (Impl::*call)(const json& body);
    };
    static constexpr Route kRoutes[] = {
        {"vm.info", "GET", &Impl::Info},
        {"vm.pause", "PUT", &Impl::Pause},
        {"vm.resume", "PUT", &Impl::Resume},
        {"vm.shutdown", "PUT", &Impl::Shutdown},
        {"vm.snapshot", "PUT", &Impl::Snapshot},
        {"fw-cfg.list", "GET", &Impl::List},
        {"fw-cfg.add-item", "PUT", &Impl::AddItem},
        {"fw-cfg.modify-item", "PUT", &Impl::ModifyItem},
        {"fw-cfg.vmcoreinfo", "GET", &Impl::Vmcoreinfo},
    };
    for (const Route& route : kRoutes) {
      if (name != route.name) continue;
      if (method != route.method) {
        return Error(405, absl::StrFormat("%s takes %s, not %s", route.name,
                                          route.method, method));
      }
      json parsed;
      if (!body.empty()) {
        try {
          parsed = json::parse(body);
        } catch (const json::parse_error& error) {
          return Error(400, absl::StrFormat("bad JSON: %s", error.what()));
        }
        if (!parsed.is_object()) {
          return Error(400, "the body must be a JSON object");
        }
      }
      return (this->*route.call)(parsed);
    }
    return Error(404, absl::StrFormat("no such endpoint: %s", name));
  }

  bool NeedControl(Reply& reply) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (control_ != nullptr) return true;
    reply = Error(503, "the VM is not running");
    return false;
  }
  bool NeedFwCfg(Reply& reply) {
    if (machine_.fw_cfg() != nullptr) return true;
    reply = Error(409, "this VM has no fw_cfg device");
    return false;
  }

  Reply Info(const json&) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    uint64_t memory = 0;
    for (const auto& region : machine_.memory().regions()) {
      if (!region->read_only()) memory += region->size();
    }
    json info = {{"memory_size", memory}, {"fw_cfg", machine_.has_fw_cfg()}};
    if (control_ == nullptr) {
      info["state"] = "Created";
    } else {
      info["state"] = control_->paused() ? "Paused" : "Running";
      info["vcpus"] = control_->vcpus();
    }
    return {200, info};
  }

  Reply Pause(const json&) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Reply reply;
    if (!NeedControl(reply)) return reply;
    return FromStatus(control_->Pause());
  }

  Reply Resume(const json&) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Reply reply;
    if (!NeedControl(reply)) return reply;
    return FromStatus(control_->Resume());
  }

  Reply Shutdown(const json&) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Reply reply;
    if (!NeedControl(reply)) return reply;
    control_->Shutdown();
    return {};
  }

  Reply Snapshot(const json& body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Reply reply;
    std::string url;
    if (!NeedControl(reply) ||
        !StringMember(body, "destination_url", url, reply)) {
      return reply;
    }
    constexpr std::string_view kScheme = "file://";
    if (url.rfind(kScheme, 0) != 0 || url.size() == kScheme.size()) {
      return Error(400, "destination_url must be file:///DIRECTORY");
    }
    if (!control_->paused()) {
      return Error(409, "pause the VM first (vm.pause)");
    }
    absl::StatusOr<std::vector<uint8_t>> devices = machine_.SaveDeviceState();
    if (!devices.ok()) return FromStatus(devices.status());
    absl::StatusOr<std::optional<std::vector<uint8_t>>> cpu =
        control_->SaveCpuState();
    if (!cpu.ok()) return FromStatus(cpu.status());
    absl::StatusOr<SnapshotReport> report =
        WriteSnapshot(url.substr(kScheme.size()),
                      {.machine_args = machine_args_,
                       .vcpus = control_->vcpus(),
                       .devices = *std::move(devices),
                       .cpu = *std::move(cpu)},
                      machine_.memory());
    if (!report.ok()) return FromStatus(report.status());
    return {200, json{{"seconds", report->seconds},
                      {"memory_bytes", report->memory_bytes},
                      {"memory_data_bytes", report->memory_data_bytes},
                      {"disk_bytes", report->disk_bytes}}};
  }

  Reply List(const json&) {
    Reply reply;
    if (!NeedFwCfg(reply)) return reply;
    json files = json::array();
    for (const FwCfgFileEntry& file : FwCfgListFiles(*machine_.fw_cfg())) {
      files.push_back({{"name", file.name},
                       {"key", file.key},
                       {"size", file.size},
                       {"kind", file.kind}});
    }
    return {200, json{{"files", files}}};
  }

  // The body of add-item and modify-item: {"name", and "file" or "string"}.
  bool ItemRequest(const json& body, std::string& name, FwCfgItemSource& source,
                   Reply& reply) {
    if (!NeedFwCfg(reply) || !StringMember(body, "name", name, reply)) {
      return false;
    }
    for (const auto& [key, value] : body.items()) {
      if (key != "name" && key != "file" && key != "string") {
        reply = Error(400, absl::StrFormat("unknown member \"%s\"", key));
        return false;
      }
    }
    const bool file = body.contains("file");
    if (file == body.contains("string")) {
      reply = Error(400, "give exactly one of \"file\" and \"string\"");
      return false;
    }
    std::string value;
    if (!StringMember(body, file ? "file" : "string", value, reply)) {
      return false;
    }
    (file ? source.file : source.string) = std::move(value);
    return true;
  }

  Reply AddItem(const json& body) {
    Reply reply;
    std::string name;
    FwCfgItemSource source;
    if (!ItemRequest(body, name, source, reply)) return reply;
    return FromStatus(FwCfgAddFile(*machine_.fw_cfg(), name, source));
  }

  Reply ModifyItem(const json& body) {
    Reply reply;
    std::string name;
    FwCfgItemSource source;
    if (!ItemRequest(body, name, source, reply)) return reply;
    return FromStatus(FwCfgModifyFile(*machine_.fw_cfg(), name, source));
  }

  Reply Vmcoreinfo(const json&) {
    Reply reply;
    if (!NeedFwCfg(reply)) return reply;
    const bool present = [&] {
      for (const FwCfgFileEntry& file : FwCfgListFiles(*machine_.fw_cfg())) {
        if (file.name == "etc/vmcoreinfo") return true;
      }
      return false;
    }();
    if (!present) {
      return Error(409,
                   "no etc/vmcoreinfo (--fw-cfg-config vmcoreinfo=on adds it)");
    }
    std::optional<FwCfgVmcoreinfo> last =
        FwCfgLastVmcoreinfo(*machine_.fw_cfg());
    if (!last) return Error(404, "the guest has not published VMCOREINFO");
    return {200, json{{"address", last->address},
                      {"size", last->size},
                      {"guest_format", last->guest_format}}};
  }

  Machine& machine_;
  const std::vector<std::string> machine_args_;
  const std::string path_;
  base::UniqueFd fd_;
  UnixHttpServer server_;
  std::thread thread_;
  base::Mutex mu_;
  VmControl* control_ ABSL_GUARDED_BY(mu_) = nullptr;
};

absl::StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(
    const std::string& socket_path, Machine& machine,
    std::vector<std::string> machine_args) {
  ASSIGN_OR_RETURN(base::UniqueFd fd, Listen(socket_path));
  auto impl = std::make_unique<Impl>(machine, std::move(machine_args),
                                     socket_path, std::move(fd));
  impl->Start();
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiServer::~ApiServer() = default;

void ApiServer::Attach(VmControl* control) { impl_->Attach(control); }

absl::StatusOr<std::unique_ptr<ControlApi>> StartControlApi(
    const std::string& socket_path, Machine& machine,
    std::vector<std::string> machine_args) {
  ASSIGN_OR_RETURN(
      std::unique_ptr<ApiServer> server,
      ApiServer::Start(socket_path, machine, std::move(machine_args)));
  return std::unique_ptr<ControlApi>(std::move(server));
}

}  // namespace vmm
