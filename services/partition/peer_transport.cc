#include "peer_transport.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "partition_server.h"

namespace strata::partition {
namespace {

std::shared_ptr<grpc::Channel> DialPeer(const std::string& address) {
  grpc::ChannelArguments args = KernelWireChannelArguments();
  // The window this end advertises: fixed and large (see kWindowBytes).
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, PeerTransport::kWindowBytes);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

PeerTransport::PeerTransport(std::string session, sim::PartitionId self, std::vector<std::string> peers,
                             std::function<void(const std::string&)> report_abort, Topology topology)
    : session_(std::move(session)),
      self_(self),
      peers_(std::move(peers)),
      topology_(topology),
      report_abort_(std::move(report_abort)) {
  by_partition_.resize(peers_.size());
  for (size_t q = 0; q < peers_.size(); ++q) {
    if (Linked(static_cast<sim::PartitionId>(q))) by_partition_[q] = std::make_unique<Peer>();
  }
}

bool PeerTransport::Linked(sim::PartitionId q) const {
  if (q == self_ || q >= peers_.size()) return false;
  return topology_ == Topology::kAllToAll || self_ == kRoot || q == kRoot;
}

PeerTransport::~PeerTransport() {
  Finish();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return serving_ == 0; });
}

absl::Status PeerTransport::Connect(absl::Duration timeout) {
  const auto deadline = std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout);
  for (size_t q = 0; q < by_partition_.size(); ++q) {
    Peer* peer = by_partition_[q].get();
    if (peer == nullptr) continue;
    auto channel = DialPeer(peers_[q]);
    if (!channel->WaitForConnected(deadline)) {
      return absl::UnavailableError(absl::StrCat("partition ", self_, " could not reach partition ", q,
                                                 "'s service at ", peers_[q], " within ", absl::FormatDuration(timeout)));
    }
    peer->stub = v1::PartitionService::NewStub(channel);
    v1::PeerSubscribe subscribe;
    subscribe.set_run_id(session_);
    subscribe.set_subscriber(self_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (aborted_) return absl::AbortedError(abort_reason_);
      // Queue the call until the connection is ready rather than fail it
      // at once if it just dropped; Connect's timeout and AbortLocal bound
      // the wait.
      peer->context.set_wait_for_ready(true);
      peer->reader = peer->stub->ExchangeWindows(&peer->context, subscribe);
    }
  }
  std::unique_lock<std::mutex> lock(mu_);
  auto all_subscribed = [&] {
    for (const auto& peer : by_partition_) {
      if (peer != nullptr && !peer->served) return false;
    }
    return true;
  };
  if (!cv_.wait_until(lock, deadline, [&] { return all_subscribed() || aborted_; })) {
    std::string missing;
    for (size_t q = 0; q < by_partition_.size(); ++q) {
      if (by_partition_[q] != nullptr && !by_partition_[q]->served) {
        absl::StrAppend(&missing, missing.empty() ? "" : ", ", q, " (", peers_[q], ")");
      }
    }
    return absl::UnavailableError(absl::StrCat("partition ", self_, " waited ", absl::FormatDuration(timeout),
                                               " for partitions ", missing, " to connect"));
  }
  if (aborted_) return absl::AbortedError(abort_reason_);
  return absl::OkStatus();
}

grpc::Status PeerTransport::Serve(grpc::ServerContext* context, uint32_t subscriber,
                                  grpc::ServerWriter<v1::PeerWindow>* writer) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!Linked(subscriber)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("subscriber is ", subscriber, "; allowed: 0 to ", by_partition_.size() - 1,
                                     " except ", self_, topology_ == Topology::kStar ? ", and only to or from the root 0"
                                                                                     : ""));
  }
  Peer& peer = *by_partition_[subscriber];
  if (peer.served) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("partition ", subscriber, " already subscribed to partition ", self_));
  }
  peer.writer = writer;
  peer.served = true;
  ++serving_;
  cv_.notify_all();
  // Until the run ends here, or the subscriber goes away (its process died:
  // then its own stream to us breaks too and ends the run here).
  while (!finished_ && !context->IsCancelled()) cv_.wait_for(lock, std::chrono::milliseconds(100));
  cv_.wait(lock, [&] { return !peer.writing; });  // the partition thread may be inside Write
  peer.writer = nullptr;
  --serving_;
  cv_.notify_all();
  return grpc::Status::OK;
}

void PeerTransport::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    cv_.notify_all();
  }
  // Every window's messages were read (all partitions leave in the same
  // window), or the run aborted: nothing more is wanted from the peers.
  for (auto& peer : by_partition_) {
    if (peer == nullptr || peer->reader == nullptr) continue;
    peer->context.TryCancel();
    peer->reader->Finish();
  }
}

void PeerTransport::AbortLocal(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!aborted_) {
    aborted_ = true;
    abort_reason_ = reason;
  }
  // Wakes the partition thread if it is reading a peer's stream.
  for (auto& peer : by_partition_) {
    if (peer != nullptr && peer->reader != nullptr) peer->context.TryCancel();
  }
  cv_.notify_all();
}

bool PeerTransport::aborted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return aborted_;
}

std::string PeerTransport::abort_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return abort_reason_;
}

bool PeerTransport::WriteTo(sim::PartitionId q, const v1::PeerWindow& window) {
  Peer& peer = *by_partition_[q];
  grpc::ServerWriter<v1::PeerWindow>* writer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    writer = peer.writer;
    peer.writing = writer != nullptr;
  }
  bool ok = false;
  if (writer != nullptr) {
    ok = writer->Write(window);
    std::lock_guard<std::mutex> lock(mu_);
    peer.writing = false;
    cv_.notify_all();
  }
  if (!ok && window.abort().empty()) {
    AbortLocal(absl::StrCat("lost partition ", q, " (service ", peers_[q], "): its stream from partition ", self_,
                            " broke"));
  }
  return ok;
}

void PeerTransport::Send(sim::PartitionMessage message) {
  if (message.to >= by_partition_.size() || message.to == self_) {
    AbortLocal(absl::StrCat("partition ", self_, " sent a batch to partition ", message.to, "; allowed: 0 to ",
                            by_partition_.size() - 1, " except ", self_));
    return;
  }
  // A leaf of a star sends everything through the root.
  const sim::PartitionId via = Linked(message.to) ? message.to : kRoot;
  const std::vector<std::byte> bytes = sim::EncodeBatch(message);
  by_partition_[via]->unsent.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void PeerTransport::Receive(sim::PartitionId, std::vector<sim::PartitionMessage>* out) {
  for (auto& m : inbox_) out->push_back(std::move(m));
  inbox_.clear();
}

sim::WaitResult PeerTransport::Wait(sim::PartitionId, sim::SimTime, sim::SimTime*) {
  AbortLocal("null-message sync needs the coordinator's hub; peer exchange serves window sync only");
  return sim::WaitResult::kAborted;
}

std::optional<std::vector<sim::SimTime>> PeerTransport::AllReduceMin(sim::PartitionId,
                                                                    std::vector<sim::SimTime> values) {
  if (aborted()) return std::nullopt;
  // A star's root answers with the minimum over everyone, so it reads every
  // window before it writes. Everyone else (all to all, a star's leaves,
  // whose only linked peer is the root) writes its own first, then reads;
  // a leaf's minimum with the root's answer is the answer, which already
  // holds the leaf's own times.
  if (topology_ == Topology::kStar && self_ == kRoot) {
    if (ReadAll(&values) && WriteAll(values)) return values;
    SendAbort(abort_reason());  // the leaves wait for the root's answer
    return std::nullopt;
  }
  if (WriteAll(values) && ReadAll(&values)) return values;
  return std::nullopt;
}

bool PeerTransport::WriteAll(const std::vector<sim::SimTime>& values) {
  for (size_t q = 0; q < by_partition_.size(); ++q) {
    Peer* peer = by_partition_[q].get();
    if (peer == nullptr) continue;
    v1::PeerWindow window;
    for (sim::SimTime v : values) window.add_earliest_ps(v.ps());
    for (std::string& bytes : peer->unsent) window.add_batches(std::move(bytes));
    peer->unsent.clear();
    if (!WriteTo(static_cast<sim::PartitionId>(q), window)) return false;
  }
  return true;
}

bool PeerTransport::ReadAll(std::vector<sim::SimTime>* values) {
  v1::PeerWindow in;
  for (size_t q = 0; q < by_partition_.size(); ++q) {
    if (by_partition_[q] == nullptr) continue;
    const auto from = static_cast<sim::PartitionId>(q);
    if (!ReadFrom(from, &in) || !Absorb(from, in, values)) return false;
  }
  return true;
}

bool PeerTransport::Absorb(sim::PartitionId q, v1::PeerWindow& in, std::vector<sim::SimTime>* values) {
  for (size_t i = 0; i < values->size(); ++i) {
    (*values)[i] = std::min((*values)[i], sim::SimTime::Picoseconds(in.earliest_ps(static_cast<int>(i))));
  }
  for (std::string& bytes : *in.mutable_batches()) {
    sim::PartitionMessage m;
    if (!Decode(bytes, q, &m)) return false;
    if (m.to == self_) {
      inbox_.push_back(std::move(m));
    } else {
      by_partition_[m.to]->unsent.push_back(std::move(bytes));  // a star's root forwards, in the order sent
    }
  }
  return true;
}

bool PeerTransport::ReadFrom(sim::PartitionId q, v1::PeerWindow* in) {
  if (!by_partition_[q]->reader->Read(in)) {
    AbortLocal(absl::StrCat("lost partition ", q, " (service ", peers_[q], "): its stream to partition ", self_,
                            " ended"));
    return false;
  }
  if (!in->abort().empty()) {
    AbortLocal(absl::StrCat("partition ", q, " aborted the run: ", in->abort()));
    return false;
  }
  if (static_cast<size_t>(in->earliest_ps_size()) != peers_.size()) {
    AbortLocal(absl::StrCat("partition ", q, " sent ", in->earliest_ps_size(), " window times; expected ",
                            peers_.size()));
    return false;
  }
  return true;
}

bool PeerTransport::Decode(const std::string& bytes, sim::PartitionId q, sim::PartitionMessage* m) {
  const bool root_of_star = topology_ == Topology::kStar && self_ == kRoot;
  const bool ok = sim::DecodeBatch(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), m) &&
                  m->from < peers_.size() && m->to < peers_.size() && m->from != m->to &&
                  (root_of_star ? m->from == q : m->to == self_);
  if (!ok) AbortLocal(absl::StrCat("partition ", q, " sent partition ", self_, " a batch that does not decode"));
  return ok;
}

void PeerTransport::SendAbort(const std::string& reason) {
  v1::PeerWindow window;
  window.set_abort(reason);
  for (size_t q = 0; q < by_partition_.size(); ++q) {
    if (by_partition_[q] != nullptr) WriteTo(static_cast<sim::PartitionId>(q), window);
  }
}

void PeerTransport::Abort() {
  bool first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first = !aborted_;
  }
  if (first) {
    const std::string reason = absl::StrCat("partition ", self_, " aborted");
    SendAbort(reason);
    if (report_abort_) report_abort_(reason);
  }
  AbortLocal(absl::StrCat("partition ", self_, " aborted the run"));
}

}  // namespace strata::partition
