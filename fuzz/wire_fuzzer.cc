// libFuzzer target: the partition wire as a partition service receives it.
// The input is either one raw event batch (sim::DecodeBatch) or a
// ToPartitions stream message whose reply carries batches; each decoded
// batch is checked against a loaded plan (PHOLD, 8 LPs on 2 partitions,
// partition 0 local) with CheckIncomingBatch, and a batch the check
// accepts is fed to a real partition through RemoteTransport and run.
// No input may crash, trip a sanitizer or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "partition_set.h"
#include "plan_checked_transport.h"
#include "remote_transport.h"
#include "strata/sim/transport.h"
#include "strata/v1/partition_service.pb.h"

namespace {

using namespace strata;

v1::LoadPartitions Load() {
  v1::LoadPartitions load;
  v1::PholdSpec* p = load.mutable_phold();
  p->set_lps(8);
  p->set_events_per_lp(1);
  p->set_remote_fraction(0.5);
  p->set_lookahead_ps(1'000'000);
  p->set_mean_delay_ps(1'000'000);
  load.set_sync(v1::NULL_MESSAGE);
  load.set_end_time_ps(1'000'000);
  load.mutable_plan()->set_partition_count(2);
  for (int i = 0; i < 8; ++i) load.mutable_plan()->add_partition_of(i % 2);
  load.add_local_partitions(0);
  return load;
}

void CheckBatch(const std::string& bytes) {
  static const partition::BuiltModel* model = new partition::BuiltModel(*partition::BuildModel(Load()));
  static const sim::PartitionPlan plan{2, {0, 1, 0, 1, 0, 1, 0, 1}};
  sim::PartitionMessage m;
  if (!sim::DecodeBatch(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), &m)) return;
  if (!partition::CheckIncomingBatch(m, 0, model->sim(), plan).ok()) return;
  // Accepted: every id in it fits the plan. The kernel may still refuse
  // it (an event in the past is a causality error) but must not crash:
  // a fresh partition 0 gets it as the answer to its first wait, as from
  // the coordinator's hub, and runs (the next wait ends the run).
  auto set = partition::PartitionSet::Load(Load(), {});
  if (!set.ok()) __builtin_trap();
  std::unique_ptr<partition::RemoteTransport> transport;
  int waits = 0;
  transport = std::make_unique<partition::RemoteTransport>(
      2,
      [&](const v1::FromPartitions& call) {
        if (call.call().call_case() != v1::KernelCall::kWaitNextEventPs) return true;
        v1::KernelReply reply;
        reply.set_partition(0);
        reply.set_wait(waits++ == 0 ? v1::WAIT_MESSAGE : v1::WAIT_QUIESCENT);
        if (waits == 1) reply.add_batches(bytes);
        transport->OnReply(reply);
        return true;
      },
      /*coalesce_sends=*/false);
  (void)(*set)->Run(*transport);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 20) return -1;
  const std::string input(reinterpret_cast<const char*>(data), size);
  CheckBatch(input);
  v1::ToPartitions message;
  if (message.ParseFromString(input) && message.has_reply()) {
    for (const std::string& batch : message.reply().batches()) CheckBatch(batch);
  }
  return 0;
}
