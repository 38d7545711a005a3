#include "nvme/nvme_host_mux.h"

#include "absl/strings/str_cat.h"
#include "nvme/nvme_events.h"
#include "strata/sim/digest.h"

namespace strata::controller {

NvmeHostMux::NvmeHostMux(std::string name, uint32_t inputs) : Component(std::move(name)), commands_(inputs, 0) {
  nvme_ = DeclarePort("nvme");
  for (uint32_t k = 0; k < inputs; ++k) inputs_.push_back(DeclarePort(absl::StrCat("in", k)));
}

void NvmeHostMux::Handle(const sim::Event& e) {
  const uint64_t n = inputs_.size();
  if (e.type == kNvmeSubmit) {
    NvmeSubmit cmd = e.PayloadAs<NvmeSubmit>();
    const uint64_t k = e.port - inputs_.front();
    ++commands_[k];
    cmd.cid = cmd.cid * n + k;
    ctx().Send(nvme_, kNvmeSubmit, cmd);
    return;
  }
  if (e.type == kNvmeComplete) {
    NvmeComplete done = e.PayloadAs<NvmeComplete>();
    const uint64_t k = done.cid % n;
    done.cid /= n;
    ctx().Send(inputs_[k], kNvmeComplete, done);
    return;
  }
  ctx().Fail(absl::InternalError(absl::StrCat(name(), ": unexpected event type ", e.type)));
}

void NvmeHostMux::AddToDigest(sim::DigestBuilder& d) const {
  for (uint64_t c : commands_) d.Add(c);
}

void NvmeHostMux::CollectStatistics(std::vector<sim::Statistic>* out) const {
  for (size_t k = 0; k < commands_.size(); ++k) {
    out->push_back({absl::StrCat(name(), ".in", k, ".commands"), static_cast<double>(commands_[k]), "count"});
  }
}

}  // namespace strata::controller
