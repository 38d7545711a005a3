#include "peer_transport.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "partition_server.h"

namespace strata::partition {
namespace {

std::shared_ptr<grpc::Channel> DialPeer(const std::string& address) {
  grpc::ChannelArguments args = KernelWireChannelArguments();
  AddPeerStreamArguments(args);
  return DialKernelWire(address, args);
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

PeerTransport::~PeerTransport() { Finish(); }

PeerCall::~PeerCall() {
  Cancel();
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

void PeerCall::Write(const v1::PeerWindow& window, void* tag) {
  if (is_client()) {
    client->Write(window, tag);
  } else {
    server.Write(window, tag);
  }
}

void PeerCall::Read(v1::PeerWindow* window, void* tag) {
  if (is_client()) {
    client->Read(window, tag);
  } else {
    server.Read(window, tag);
  }
}

void PeerCall::Cancel() {
  if (is_client()) {
    client_context.TryCancel();
  } else if (server_started) {
    server_context.TryCancel();
  }
}

bool PeerTransport::Await(Peer& peer, Tag tag, Deadline deadline) {
  bool timed_out = false;
  for (;;) {
    void* got;
    bool ok;
    if (deadline == Deadline::max()) {
      if (!peer.call->cq.Next(&got, &ok)) return false;
    } else {
      const auto status = peer.call->cq.AsyncNext(&got, &ok, deadline);
      if (status == grpc::CompletionQueue::SHUTDOWN) return false;
      if (status == grpc::CompletionQueue::TIMEOUT) {
        peer.call->Cancel();  // the pending operations now complete, failed
        timed_out = true;
        deadline = Deadline::max();
        continue;
      }
    }
    const auto done = static_cast<Tag>(reinterpret_cast<intptr_t>(got));
    if (done == kWritten) peer.write_pending = false;
    if (done == kRead) peer.read_pending = false;
    if (done == tag) return ok && !timed_out;
  }
}

absl::Status PeerTransport::Connect(absl::Duration timeout) {
  const auto deadline = std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout);
  // Open a stream to each linked lower-numbered peer; its first message
  // names the pair.
  for (sim::PartitionId q = 0; q < self_; ++q) {
    Peer* peer = by_partition_[q].get();
    if (peer == nullptr) continue;
    auto channel = DialPeer(peers_[q]);
    if (!channel->WaitForConnected(deadline)) {
      return absl::UnavailableError(absl::StrCat("partition ", self_, " could not reach partition ", q,
                                                 "'s service at ", peers_[q], " within ", absl::FormatDuration(timeout)));
    }
    auto call = std::make_unique<PeerCall>();
    call->stub = v1::PartitionService::NewStub(channel);
    // Queue the call until the connection is ready rather than fail it at
    // once if it just dropped; the deadline and AbortLocal bound the wait.
    call->client_context.set_wait_for_ready(true);
    // The headers go out with the subscription, in one write; StartCall
    // then completes nothing of its own.
    call->client_context.set_initial_metadata_corked(true);
    call->client = call->stub->PrepareAsyncExchangeWindows(&call->client_context, &call->cq);
    call->client->StartCall(nullptr);
    v1::PeerWindow hello;
    hello.mutable_subscribe()->set_run_id(session_);
    hello.mutable_subscribe()->set_subscriber(self_);
    call->client->Write(hello, reinterpret_cast<void*>(kWritten));
    peer->write_pending = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (aborted_) call->Cancel();
      peer->call = std::move(call);
    }
    if (!Await(*peer, kWritten, deadline)) {
      if (aborted()) return absl::AbortedError(abort_reason());
      return absl::UnavailableError(absl::StrCat("partition ", self_, " could not open its stream to partition ", q,
                                                 " at ", peers_[q], " within ", absl::FormatDuration(timeout)));
    }
  }
  // Wait for each linked higher-numbered peer's stream (Adopt).
  std::unique_lock<std::mutex> lock(mu_);
  auto all_opened = [&] {
    for (size_t q = self_ + 1; q < by_partition_.size(); ++q) {
      if (by_partition_[q] != nullptr && by_partition_[q]->call == nullptr) return false;
    }
    return true;
  };
  if (!cv_.wait_until(lock, deadline, [&] { return all_opened() || aborted_; })) {
    std::string missing;
    for (size_t q = self_ + 1; q < by_partition_.size(); ++q) {
      if (by_partition_[q] != nullptr && by_partition_[q]->call == nullptr) {
        absl::StrAppend(&missing, missing.empty() ? "" : ", ", q, " (", peers_[q], ")");
      }
    }
    return absl::UnavailableError(absl::StrCat("partition ", self_, " waited ", absl::FormatDuration(timeout),
                                               " for partitions ", missing, " to connect"));
  }
  if (aborted_) return absl::AbortedError(abort_reason_);
  return absl::OkStatus();
}

grpc::Status PeerTransport::Adopt(uint32_t subscriber, std::unique_ptr<PeerCall>* call) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("the run of peer session '", session_, "' has ended here"));
  }
  if (!Linked(subscriber) || subscriber < self_) {
    const size_t first = static_cast<size_t>(self_) + 1;
    const bool none = (topology_ == Topology::kStar && self_ != kRoot) || first >= by_partition_.size();
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("subscriber is ", subscriber, " for partition ", self_, "; allowed: ",
                     none ? "none" : absl::StrCat(first, " to ", by_partition_.size() - 1),
                     topology_ == Topology::kStar ? " (in a star each leaf opens its one stream, to partition 0)"
                                                  : " (the higher-numbered partition of a pair opens its stream)"));
  }
  Peer& peer = *by_partition_[subscriber];
  if (peer.call != nullptr) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("partition ", subscriber, " already subscribed to partition ", self_));
  }
  if (aborted_) (*call)->Cancel();
  peer.call = std::move(*call);
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
  // window), or the run aborted. Close each stream in order: the last
  // write out first, then the status (which the client end waits for),
  // so no end loses a message; bounded, as a peer may be gone.
  const Deadline deadline = std::chrono::system_clock::now() + std::chrono::seconds(5);
  for (auto& peer : by_partition_) {
    if (peer == nullptr) continue;
    std::unique_ptr<PeerCall> call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (peer->call == nullptr) continue;
      if (aborted_) call = std::move(peer->call);  // its destructor cancels and drains it
    }
    if (call == nullptr) {
      const bool closed = (peer->call->is_client() || peer->call->server_started) &&
                          (!peer->write_pending || Await(*peer, kWritten, deadline));
      if (closed) {
        if (peer->call->is_client()) {
          peer->call->client->Finish(&peer->call->status, reinterpret_cast<void*>(kFinished));
        } else {
          peer->call->server.Finish(grpc::Status::OK, reinterpret_cast<void*>(kFinished));
        }
        Await(*peer, kFinished, deadline);
      }
      std::lock_guard<std::mutex> lock(mu_);
      call = std::move(peer->call);
    }
  }  // each call's destructor drains its queue
}

void PeerTransport::MarkAborted(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!aborted_) {
    aborted_ = true;
    abort_reason_ = reason;
  }
  cv_.notify_all();
}

void PeerTransport::AbortLocal(const std::string& reason) {
  MarkAborted(reason);
  // Fails every pending read and write: the partition thread returns.
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& peer : by_partition_) {
    if (peer != nullptr && peer->call != nullptr) peer->call->Cancel();
  }
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
  // One write at a time per stream: the previous window's is long out.
  bool ok = peer.call != nullptr && (!peer.write_pending || Await(peer, kWritten));
  if (ok) {
    peer.call->Write(window, reinterpret_cast<void*>(kWritten));
    peer.write_pending = true;
  }
  if (!ok && window.abort().empty()) {
    MarkAborted(absl::StrCat("lost partition ", q, " (service ", peers_[q], "): its stream from partition ", self_,
                             " broke"));
  }
  return ok;
}

void PeerTransport::Send(sim::PartitionMessage message) {
  if (message.to >= by_partition_.size() || message.to == self_) {
    MarkAborted(absl::StrCat("partition ", self_, " sent a batch to partition ", message.to, "; allowed: 0 to ",
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
  MarkAborted("null-message sync needs the coordinator's hub; peer exchange serves window sync only");
  return sim::WaitResult::kAborted;
}

std::optional<std::vector<sim::SimTime>> PeerTransport::AllReduceMin(sim::PartitionId,
                                                                    std::vector<sim::SimTime> values) {
  if (aborted()) return std::nullopt;
  window_length_ = values.size();  // fixed for a run; what each peer must send too
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
  for (size_t q = 0; q < by_partition_.size(); ++q) {
    if (by_partition_[q] == nullptr) continue;
    const auto from = static_cast<sim::PartitionId>(q);
    if (!ReadFrom(from) || !Absorb(from, by_partition_[q]->in, values)) return false;
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

bool PeerTransport::ReadFrom(sim::PartitionId q) {
  Peer& peer = *by_partition_[q];
  if (peer.call != nullptr && !peer.read_pending) {
    peer.call->Read(&peer.in, reinterpret_cast<void*>(kRead));
    peer.read_pending = true;
  }
  if (peer.call == nullptr || !Await(peer, kRead)) {
    MarkAborted(absl::StrCat("lost partition ", q, " (service ", peers_[q], "): its stream to partition ", self_,
                             " ended"));
    return false;
  }
  const v1::PeerWindow& in = peer.in;
  if (!in.abort().empty()) {
    MarkAborted(absl::StrCat("partition ", q, " aborted the run: ", in.abort()));
    return false;
  }
  if (static_cast<size_t>(in.earliest_ps_size()) != window_length_) {
    MarkAborted(absl::StrCat("partition ", q, " sent ", in.earliest_ps_size(), " window times; expected ",
                             window_length_));
    return false;
  }
  return true;
}

bool PeerTransport::Decode(const std::string& bytes, sim::PartitionId q, sim::PartitionMessage* m) {
  const bool root_of_star = topology_ == Topology::kStar && self_ == kRoot;
  const bool ok = sim::DecodeBatch(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), m) &&
                  m->from < peers_.size() && m->to < peers_.size() && m->from != m->to &&
                  (root_of_star ? m->from == q : m->to == self_);
  if (!ok) MarkAborted(absl::StrCat("partition ", q, " sent partition ", self_, " a batch that does not decode"));
  return ok;
}

void PeerTransport::SendAbort(const std::string& reason) {
  v1::PeerWindow window;
  window.set_abort(reason);
  // Wait (briefly: a peer may be gone) until each is out, so the streams'
  // closing cannot overtake it.
  const Deadline deadline = std::chrono::system_clock::now() + std::chrono::seconds(2);
  for (size_t q = 0; q < by_partition_.size(); ++q) {
    Peer* peer = by_partition_[q].get();
    if (peer == nullptr || peer->call == nullptr) continue;
    if (WriteTo(static_cast<sim::PartitionId>(q), window)) Await(*peer, kWritten, deadline);
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
  // The partition thread itself: nothing of its own to wake. Finish closes
  // the streams.
  MarkAborted(absl::StrCat("partition ", self_, " aborted the run"));
}

PeerAcceptor::PeerAcceptor(Service* service, std::unique_ptr<grpc::ServerCompletionQueue> cq, FindSession find_session)
    : service_(service), cq_(std::move(cq)), find_session_(std::move(find_session)), thread_([this] { Run(); }) {}

PeerAcceptor::~PeerAcceptor() { Shutdown(); }

void PeerAcceptor::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  cq_->Shutdown();
  thread_.join();
  void* tag;
  bool ok;
  while (cq_->Next(&tag, &ok)) {
  }
}

void PeerAcceptor::Run() {
  for (;;) {
    auto call = std::make_unique<PeerCall>();
    if (!RequestNextCall(call.get())) return;
    void* tag;
    bool ok;
    // Not ok: the server is shutting down; the request never started.
    if (!cq_->Next(&tag, &ok) || !ok) return;
    call->server_started = true;
    Accept(std::move(call));
  }
}

bool PeerAcceptor::RequestNextCall(PeerCall* call) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return false;
  service_->RequestExchangeWindows(&call->server_context, &call->server, &call->cq, cq_.get(), call);
  return true;
}

void PeerAcceptor::Accept(std::unique_ptr<PeerCall> call) {
  // The opener writes its subscription right after starting the call.
  constexpr auto kFirstMessageTimeout = std::chrono::seconds(5);
  v1::PeerWindow first;
  call->server.Read(&first, nullptr);
  void* tag;
  bool ok = false;
  if (call->cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + kFirstMessageTimeout) !=
          grpc::CompletionQueue::GOT_EVENT ||
      !ok) {
    return;  // gone, or silent: the destructor cancels it
  }
  grpc::Status status;
  if (!first.has_subscribe() || !first.batches().empty() || !first.earliest_ps().empty() || !first.abort().empty()) {
    status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "the first message on ExchangeWindows must carry subscribe and nothing else");
  } else if (std::shared_ptr<PeerTransport> peer = find_session_(first.subscribe().run_id()); peer == nullptr) {
    status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("no run with peer session '", first.subscribe().run_id(), "' is loaded here"));
  } else {
    status = peer->Adopt(first.subscribe().subscriber(), &call);
    if (status.ok()) return;
  }
  call->server.Finish(status, nullptr);
  call->cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + kFirstMessageTimeout);
}

}  // namespace strata::partition
