#include "phold/phold.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace strata::sim::phold {

namespace {
constexpr EventType kPholdEvent = 1;
}

PholdLp::PholdLp(int index, const PholdConfig& config)
    : Component(absl::StrCat("lp", index)),
      index_(index),
      config_(config),
      mean_delay_ps_(static_cast<double>(config.mean_delay.ps())) {
  net_ = DeclarePort("net");
}

void PholdLp::Init() {
  for (int i = 0; i < config_.events_per_lp; ++i) SendNext();
}

void PholdLp::Handle(const Event& event) {
  ++received_;
  history_ = Mix64(history_ ^ static_cast<uint64_t>(event.time.ps()) ^ Mix64(event.order));
  SendNext();
}

void PholdLp::SendNext() {
  RandomStream& rng = ctx().random();
  const SimTime extra = SimTime::Picoseconds(std::llround(rng.Exponential(mean_delay_ps_)));
  const uint32_t lps = ctx().MeshSize(net_);
  if (lps > 1 && rng.Uniform01() < config_.remote_fraction) {
    auto dest = static_cast<uint32_t>(rng.UniformInt(lps - 1));
    if (dest >= static_cast<uint32_t>(index_)) ++dest;  // any LP but this one
    ctx().SendTo(net_, dest, kPholdEvent, NoPayload{}, extra);
  } else {
    ctx().Schedule(config_.lookahead + extra, kPholdEvent);
  }
}

void PholdLp::AddToDigest(DigestBuilder& digest) const { digest.Add(received_).Add(history_); }

void PholdLp::CollectStatistics(std::vector<Statistic>* out) const {
  out->push_back({"events_received", static_cast<double>(received_), "events"});
}

absl::Status BuildPhold(const PholdConfig& c, Simulation* sim) {
  if (c.lps < 1 || c.lps > 1'000'000) {
    return absl::InvalidArgumentError(absl::StrCat("lps = ", c.lps, "; allowed: 1 to 1000000"));
  }
  if (c.events_per_lp < 0 || c.events_per_lp > 100'000) {
    return absl::InvalidArgumentError(absl::StrCat("events_per_lp = ", c.events_per_lp, "; allowed: 0 to 100000"));
  }
  if (!(c.remote_fraction >= 0 && c.remote_fraction <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("remote_fraction = ", c.remote_fraction, "; allowed: 0 to 1"));
  }
  if (c.lookahead <= SimTime::Zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("lookahead = ", c.lookahead.ToString(), "; allowed: > 0 (it is the LP link latency)"));
  }
  if (c.mean_delay < SimTime::Zero()) {
    return absl::InvalidArgumentError(absl::StrCat("mean_delay = ", c.mean_delay.ToString(), "; allowed: >= 0"));
  }
  if (c.lps_per_group < 0) {
    return absl::InvalidArgumentError(absl::StrCat("lps_per_group = ", c.lps_per_group, "; allowed: >= 0"));
  }
  std::vector<Endpoint> members;
  members.reserve(c.lps);
  for (int i = 0; i < c.lps; ++i) {
    std::string group = c.lps_per_group > 0 ? absl::StrCat("g", i / c.lps_per_group) : "";
    const ComponentId id = sim->Add(std::make_unique<PholdLp>(i, c), std::move(group));
    members.push_back({id, "net"});
  }
  return sim->ConnectMesh(members, c.lookahead);
}

}  // namespace strata::sim::phold
