#include "services/systems/ssd_isc/isc_executor.h"

#include "absl/strings/str_cat.h"
#include "services/controller/isc/controller_gemv_engine.h"

namespace strata::systems {

IscExecutor::IscExecutor(host::Category stream_category) : Component("isc_host"), stream_category_(stream_category) {
  driver_ = DeclarePort("driver");
  engine_ = DeclarePort("engine");
}

void IscExecutor::Handle(const sim::Event& event) {
  if (event.type == host::kOpRequest) {
    const host::Op op = event.PayloadAs<host::Op>();
    if (op.kind != host::OpKind::kGemv) {
      ctx().Fail(absl::InvalidArgumentError(absl::StrCat(name(), " got a non-GEMV op ", op.id)));
      return;
    }
    controller::IscGemv g;
    g.id = op.id;
    g.matrix = (uint64_t{op.layer} << 16) | op.matrix;
    g.weight_bytes = op.weight_bytes;
    ctx().Send(engine_, controller::kIscGemv, g);
    ++gemvs_;
    return;
  }
  if (event.type != controller::kIscGemvDone) {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), " got unexpected event type ", event.type)));
    return;
  }
  const auto d = event.PayloadAs<controller::IscGemvDone>();
  if (!d.ok) {
    ctx().Fail(absl::DataLossError(absl::StrCat(name(), ": a flash read of op ", d.id, " failed")));
    return;
  }
  host::OpDone done;
  done.id = static_cast<uint32_t>(d.id);
  done.Add(stream_category_, sim::SimTime::Picoseconds(d.stream_ps));
  done.Add(host::Category::kPeCompute, sim::SimTime::Picoseconds(d.compute_tail_ps));
  ctx().Send(driver_, host::kOpComplete, done);
}

void IscExecutor::AddToDigest(sim::DigestBuilder& d) const { d.Add(gemvs_); }

}  // namespace strata::systems
