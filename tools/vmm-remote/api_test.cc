// The control API end to end on a --qtest VM (no KVM needed): a vmm child
// with --api-socket, its device driven over qtest, the API called through
// the client library and the vmm-remote binary. Covers the bad-request
// table of docs/api.md (each answer, and the VM still serving afterwards),
// run-time item changes as a guest mid-read sees them, pause holding the
// qtest session, and snapshot -> delete the host file -> --restore.

#include <sys/stat.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/fwcfg/qtest_client.h"
#include "tools/fwcfg/test_util.h"
#include "tools/vmm-remote/client.h"

namespace vmm_remote {
namespace {

namespace testing_util = fwcfg::testing;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr int kTimeoutMs = 20000;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vmm_ = testing_util::Runfile("vmm/vmm");
    remote_ = testing_util::Runfile("tools/vmm-remote/vmm-remote");
    item_ = testing_util::PatternBytes(100000, 3);
    item_path_ = dir_.Join("item.bin");
    ASSERT_TRUE(testing_util::WriteFile(item_path_, item_).ok());
  }

  // Starts `vmm ARGS --qtest unix:Q,server --api-socket A` and connects.
  void Start(std::vector<std::string> args) {
    const int n = starts_++;
    qtest_socket_ = dir_.Join(absl::StrFormat("q%d.sock", n));
    api_socket_ = dir_.Join(absl::StrFormat("a%d.sock", n));
    stderr_path_ = dir_.Join(absl::StrFormat("vmm%d.err", n));
    args.insert(args.begin(), vmm_);
    for (const std::string& arg :
         {std::string("--qtest"), "unix:" + qtest_socket_ + ",server",
          std::string("--api-socket"), api_socket_}) {
      args.push_back(arg);
    }
    absl::StatusOr<base::Subprocess> child =
        base::Subprocess::Start(args, {.stderr_path = stderr_path_});
    ASSERT_TRUE(child.ok()) << child.status();
    vmm_process_ = std::make_unique<base::Subprocess>(*std::move(child));
    // main starts the API before it listens for qtest.
    absl::Status listening = testing_util::WaitForListeningSocket(
        qtest_socket_, kTimeoutMs, vmm_process_.get());
    ASSERT_TRUE(listening.ok()) << listening << ": " << Stderr();
    auto client = fwcfg::QtestClient::Connect(qtest_socket_, kTimeoutMs);
    ASSERT_TRUE(client.ok()) << client.status();
    qtest_ = *std::move(client);
    // The qtest VM attaches to the API once its client has connected; until
    // then vm.info says "Created" (a CI run read it there).
    const auto deadline = absl::Now() + absl::Milliseconds(kTimeoutMs);
    while (Json(Call("GET", "vm.info"))["state"] == "Created") {
      ASSERT_LT(absl::Now(), deadline) << "vm.info still says Created";
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  std::string Stderr() {
    return testing_util::ReadFile(stderr_path_).value_or("");
  }

  std::string ItemsConfig() {
    return absl::StrFormat(
        "acpi_table=off,items=[name=opt/a,string=alpha:name=opt/file,file=%s]",
        item_path_);
  }

  ApiReply Call(const std::string& method, const std::string& endpoint,
                const std::string& body = "") {
    absl::StatusOr<ApiReply> reply =
        CallApi(api_socket_, method, endpoint, body, 10);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.value_or(ApiReply{});
  }

  json Json(const ApiReply& reply) {
    return json::parse(reply.body, nullptr, false);
  }

  uint16_t KeyOf(const std::string& name) {
    const json list = Json(Call("GET", "fw-cfg.list"));
    for (const json& file : list["files"]) {
      if (file["name"] == name) return file["key"].get<uint16_t>();
    }
    ADD_FAILURE() << "no " << name;
    return 0;
  }

  std::string ReadData(size_t n) {
    std::string bytes;
    for (size_t i = 0; i < n; ++i) {
      absl::StatusOr<uint8_t> byte = qtest_->InB(0x511);
      EXPECT_TRUE(byte.ok()) << byte.status();
      bytes.push_back(static_cast<char>(byte.value_or(0)));
    }
    return bytes;
  }

  void Select(uint16_t key) { ASSERT_TRUE(qtest_->OutW(0x510, key).ok()); }

  // The VM still answers both the API and qtest.
  void ExpectAlive(const std::string& after) {
    ApiReply info = Call("GET", "vm.info");
    EXPECT_EQ(info.status, 200) << "after " << after;
    Select(0);
    EXPECT_EQ(ReadData(4), "QEMU") << "after " << after;
  }

  void StopVmm() {
    if (vmm_process_ == nullptr) return;
    qtest_.reset();  // the session ends with its client
    absl::StatusOr<base::ExitStatus> how =
        vmm_process_->Wait(absl::Milliseconds(kTimeoutMs));
    ASSERT_TRUE(how.ok()) << how.status();
    EXPECT_TRUE(how->success()) << how->ToString() << ": " << Stderr();
    vmm_process_.reset();
  }

  testing_util::TempDir dir_;
  std::string vmm_, remote_, item_, item_path_;
  std::string qtest_socket_, api_socket_, stderr_path_;
  int starts_ = 0;
  std::unique_ptr<base::Subprocess> vmm_process_;
  std::unique_ptr<fwcfg::QtestClient> qtest_;
};

TEST_F(ApiTest, SocketIsPrivateAndInfoDescribesTheVm) {
  Start({"--memory", "size=64M", "--fw-cfg-config", ItemsConfig()});
  struct stat st;
  ASSERT_EQ(stat(api_socket_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ApiReply info = Call("GET", "vm.info");
  ASSERT_EQ(info.status, 200);
  EXPECT_EQ(Json(info), (json{{"state", "Running"},
                              {"vcpus", 0},
                              {"memory_size", 64 << 20},
                              {"fw_cfg", true}}));
  // A second vmm cannot take a socket that is in use.
  testing_util::RunResult second = testing_util::RunBinary(
      {vmm_, "--qtest", "stdio", "--api-socket", api_socket_}, kTimeoutMs);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("in use by another process"));
  StopVmm();
  // The socket goes with the vmm.
  EXPECT_NE(access(api_socket_.c_str(), F_OK), 0);
}

// docs/api.md's table: each bad request, its status and message, and the VM
// serving on.
TEST_F(ApiTest, BadRequestsGetJsonErrorsAndTheVmRunsOn) {
  Start({"--memory", "size=64M", "--fw-cfg-config",
         ItemsConfig() + ",vmcoreinfo=on"});
  const std::string long_name(56, 'n');
  const std::string missing = dir_.Join("missing.bin");
  struct Case {
    const char* method;
    const char* endpoint;
    std::string body;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"GET", "vm.nope", "", 404, "no such endpoint: vm.nope"},
      {"GET", "vm.pause", "", 405, "vm.pause takes PUT, not GET"},
      {"PUT", "fw-cfg.add-item", "{\"name\": ", 400, "bad JSON"},
      {"PUT", "fw-cfg.add-item", "[1, 2]", 400, "must be a JSON object"},
      {"PUT", "fw-cfg.add-item", R"({"name": 5, "string": "x"})", 400,
       "\"name\" must be a string, not number"},
      {"PUT", "fw-cfg.add-item", R"({"name": "opt/x", "string": 5})", 400,
       "\"string\" must be a string, not number"},
      {"PUT", "fw-cfg.add-item", R"({"name": "opt/x"})", 400,
       "exactly one of \"file\" and \"string\""},
      {"PUT", "fw-cfg.add-item",
       R"({"name": "opt/x", "string": "a", "file": "/b"})", 400,
       "exactly one of"},
      {"PUT", "fw-cfg.add-item", R"({"name": "opt/x", "strin": "a"})", 400,
       "unknown member \"strin\""},
      {"PUT", "fw-cfg.add-item",
       json{{"name", long_name}, {"string", "x"}}.dump(), 400,
       "must be 1 to 55 bytes"},
      {"PUT", "fw-cfg.add-item",
       json{{"name", "opt/y"}, {"file", missing}}.dump(), 404, missing},
      {"PUT", "fw-cfg.add-item", R"({"name": "opt/0", "string": "x"})", 409,
       "would move \"opt/a\""},
      {"PUT", "fw-cfg.add-item", R"({"name": "opt/a", "string": "x"})", 409,
       "duplicate fw_cfg file name: opt/a"},
      {"PUT", "fw-cfg.modify-item", R"({"name": "opt/none", "string": "x"})",
       404, "no fw_cfg file called \"opt/none\""},
      {"PUT", "fw-cfg.modify-item",
       R"({"name": "etc/vmcoreinfo", "string": "x"})", 409,
       "maintained by the VMM"},
      {"GET", "fw-cfg.vmcoreinfo", "", 404, "has not published VMCOREINFO"},
      {"PUT", "vm.snapshot", "{}", 400, "missing \"destination_url\""},
      {"PUT", "vm.snapshot", R"({"destination_url": "/tmp/x"})", 400,
       "file:///DIRECTORY"},
      {"PUT", "vm.snapshot",
       json{{"destination_url", "file://" + dir_.Join("s")}}.dump(), 409,
       "pause the VM first"},
      {"PUT", "vm.resume", "", 409, "the VM is not paused"},
      {"PUT", "fw-cfg.add-item",
       json{{"name", "opt/big"}, {"string", std::string(70000, 'x')}}.dump(),
       413, "request body over 65536 bytes"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrFormat("%s %s %s", c.method, c.endpoint,
                                 c.body.substr(0, 80)));
    ApiReply reply = Call(c.method, c.endpoint, c.body);
    EXPECT_EQ(reply.status, c.status) << reply.body;
    json body = Json(reply);
    ASSERT_TRUE(body.is_object() && body.contains("error")) << reply.body;
    EXPECT_THAT(body["error"].get<std::string>(), HasSubstr(c.message));
    ExpectAlive(std::string(c.method) + " " + c.endpoint);
  }

  // Paused: a second pause, and snapshots into directories that cannot
  // take one.
  ASSERT_EQ(Call("PUT", "vm.pause").status, 204);
  ApiReply again = Call("PUT", "vm.pause");
  EXPECT_EQ(again.status, 409);
  EXPECT_THAT(again.body, HasSubstr("already paused"));
  const std::string not_empty = dir_.Join("full");
  ASSERT_EQ(mkdir(not_empty.c_str(), 0700), 0);
  ASSERT_TRUE(testing_util::WriteFile(not_empty + "/x", "x").ok());
  ApiReply full = Call("PUT", "vm.snapshot",
                       json{{"destination_url", "file://" + not_empty}}.dump());
  EXPECT_EQ(full.status, 409);
  EXPECT_THAT(full.body, HasSubstr("is not empty"));
  // Under a regular file (root may write anywhere else).
  ApiReply under_file =
      Call("PUT", "vm.snapshot",
           json{{"destination_url", "file://" + item_path_ + "/snap"}}.dump());
  EXPECT_EQ(under_file.status / 100, 4) << under_file.body;
  EXPECT_THAT(under_file.body, HasSubstr("cannot create the directory"));
  ApiReply proc = Call("PUT", "vm.snapshot",
                       R"({"destination_url": "file:///proc/fwcfg-snap"})");
  EXPECT_GE(proc.status, 400) << proc.body;
  EXPECT_THAT(proc.body, HasSubstr("/proc/fwcfg-snap"));
  ASSERT_EQ(Call("PUT", "vm.resume").status, 204);
  ExpectAlive("the snapshot refusals");

  // vmm-remote reports HTTP errors on standard error with status 1.
  testing_util::RunResult remote =
      testing_util::RunBinary({remote_, "--api-socket", api_socket_,
                               "modify-item", "opt/none", "--string", "x"},
                              kTimeoutMs);
  EXPECT_EQ(remote.exit_code, 1);
  EXPECT_THAT(remote.err, HasSubstr("HTTP 404: no fw_cfg file called"));
  StopVmm();
}

TEST_F(ApiTest, ModifyAndAddAsAGuestMidReadSeesThem) {
  Start({"--memory", "size=64M", "--fw-cfg-config", ItemsConfig()});
  const uint16_t key = KeyOf("opt/a");
  Select(key);
  EXPECT_EQ(ReadData(2), "al");
  // Through vmm-remote, as a user would.
  testing_util::RunResult modified = testing_util::RunBinary(
      {remote_, "--api-socket", api_socket_, "modify-item", "opt/a", "--string",
       "0123456789"},
      kTimeoutMs);
  ASSERT_EQ(modified.exit_code, 0) << modified.err;
  // Same key, new size; the guest reads on at offset 2 in the new bytes.
  EXPECT_EQ(ReadData(4), "2345");
  EXPECT_EQ(KeyOf("opt/a"), key);
  Select(key);
  EXPECT_EQ(ReadData(10), "0123456789");

  // An added file sorting last gets the next key, and the directory the
  // guest reads again lists it.
  ASSERT_EQ(
      Call("PUT", "fw-cfg.add-item", R"({"name": "opt/z", "string": "zed"})")
          .status,
      204);
  Select(KeyOf("opt/z"));
  EXPECT_EQ(ReadData(3), "zed");
  Select(0x19);
  const std::string count = ReadData(4);
  EXPECT_EQ(static_cast<uint8_t>(count[3]),
            Json(Call("GET", "fw-cfg.list"))["files"].size());
  StopVmm();
}

TEST_F(ApiTest, VmcoreinfoReportsWhatTheGuestWrote) {
  Start({"--memory", "size=64M", "--fw-cfg-config", "vmcoreinfo=on"});
  EXPECT_EQ(Call("GET", "fw-cfg.vmcoreinfo").status, 404);
  // The guest's DMA write of etc/vmcoreinfo, as Linux's driver does it:
  // guest_format 1 (ELF), a 64-byte note at 0x2000 (little-endian fields).
  const std::vector<uint8_t> info = {0, 0,    1, 0, 64, 0, 0, 0,
                                     0, 0x20, 0, 0, 0,  0, 0, 0};
  ASSERT_TRUE(qtest_->Write(0x3000, info).ok());
  const uint32_t control = uint32_t{KeyOf("etc/vmcoreinfo")} << 16 |
                           0x08 /* select */ | 0x10 /* write */;
  const std::vector<uint8_t> descriptor = {uint8_t(control >> 24),
                                           uint8_t(control >> 16),
                                           uint8_t(control >> 8),
                                           uint8_t(control),
                                           0,
                                           0,
                                           0,
                                           16,  // length
                                           0,
                                           0,
                                           0,
                                           0,
                                           0,
                                           0,
                                           0x30,
                                           0};  // address 0x3000
  ASSERT_TRUE(qtest_->Write(0x1000, descriptor).ok());
  ASSERT_TRUE(qtest_->OutL(0x514, 0).ok());
  ASSERT_TRUE(qtest_->OutL(0x518, __builtin_bswap32(0x1000)).ok());
  ApiReply reply = Call("GET", "fw-cfg.vmcoreinfo");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(Json(reply),
            (json{{"address", 0x2000}, {"size", 64}, {"guest_format", 1}}));
  StopVmm();
}

TEST_F(ApiTest, PauseHoldsQtestAndSnapshotRestoresWithoutTheHostFile) {
  Start({"--memory", "size=64M", "--fw-cfg-config", ItemsConfig()});
  // Guest state: RAM bytes and a read halfway through the file item.
  ASSERT_TRUE(qtest_->Write(0x123456, {1, 2, 3, 4, 5}).ok());
  const uint16_t key = KeyOf("opt/file");
  Select(key);
  EXPECT_EQ(ReadData(1000), item_.substr(0, 1000));

  ASSERT_EQ(Call("PUT", "vm.pause").status, 204);
  EXPECT_EQ(Json(Call("GET", "vm.info"))["state"], "Paused");
  // A qtest command waits for the resume.
  std::future<absl::StatusOr<uint8_t>> held =
      std::async(std::launch::async, [this] { return qtest_->InB(0x511); });
  EXPECT_EQ(held.wait_for(std::chrono::milliseconds(300)),
            std::future_status::timeout);
  const std::string snap = dir_.Join("snap");
  testing_util::RunResult snapshot = testing_util::RunBinary(
      {remote_, "--api-socket", api_socket_, "snapshot", snap}, kTimeoutMs);
  ASSERT_EQ(snapshot.exit_code, 0) << snapshot.err;
  json report = json::parse(snapshot.out, nullptr, false);
  EXPECT_EQ(report["memory_bytes"], 64 << 20);
  EXPECT_EQ(report["memory_data_bytes"], 4096);  // one touched page
  ASSERT_EQ(Call("PUT", "vm.resume").status, 204);
  ASSERT_EQ(held.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(held.get().value_or(0), static_cast<uint8_t>(item_[1000]));
  StopVmm();

  // The host file goes; the restored VM reads on where the guest was.
  ASSERT_EQ(unlink(item_path_.c_str()), 0);
  Start({"--restore", snap});
  EXPECT_EQ(Json(Call("GET", "vm.info"))["state"], "Paused");
  ASSERT_EQ(Call("PUT", "vm.resume").status, 204);
  EXPECT_EQ(ReadData(2000), item_.substr(1000, 2000));
  auto ram = qtest_->Read(0x123456, 5);
  ASSERT_TRUE(ram.ok());
  EXPECT_EQ(*ram, (std::vector<uint8_t>{1, 2, 3, 4, 5}));
  Select(key);
  EXPECT_EQ(ReadData(item_.size()), item_);
  StopVmm();

  // A damaged snapshot is refused with the file named.
  ASSERT_TRUE(testing_util::WriteFile(snap + "/devices.bin", "junk").ok());
  testing_util::RunResult damaged = testing_util::RunBinary(
      {vmm_, "--restore", snap, "--qtest", "stdio"}, kTimeoutMs);
  EXPECT_EQ(damaged.exit_code, 1);
  EXPECT_THAT(damaged.err, HasSubstr("device state: malformed record"));
  testing_util::RunResult absent = testing_util::RunBinary(
      {vmm_, "--restore", dir_.Join("none"), "--qtest", "stdio"}, kTimeoutMs);
  EXPECT_EQ(absent.exit_code, 1);
  EXPECT_THAT(absent.err, HasSubstr("none/config.json"));
}

}  // namespace
}  // namespace vmm_remote
