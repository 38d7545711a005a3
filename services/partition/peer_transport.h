// PeerTransport: window sync between services directly, without the
// coordinator in the loop. Each service runs one partition; the partition's
// own thread writes one PeerWindow per window to every linked peer (its
// events for that peer and its AllReduceMin vector) and reads one from each.
// Each partition computes the elementwise minimum itself, so a window costs
// one message one way per pair, where the coordinator's hub (PartitionHub)
// costs a message to it and one back, and wakes its own threads in between.
//
// Wiring: one bidirectional ExchangeWindows stream per linked pair, opened
// by the higher-numbered partition (PeerAcceptor hands the lower one's end
// over). Both ends use gRPC's asynchronous API on a completion queue of
// their own that only the partition thread drives: no gRPC thread is woken
// to hand a message over, and the flow-control updates a read sends back
// land where the peer's partition thread is already polling. Measured on
// the project machine (strata-wire-floor-bench): a two-partition exchange
// this way costs about half of what two synchronous server streams did,
// whose window updates woke the writer's server threads every window.
//
// Why the sim-core transport contract holds:
//  1. One stream per pair carries each direction's messages in order.
//  2. The events a partition sent during a window travel in the same
//     message as its AllReduceMin part, and AllReduceMin returns only after
//     every linked peer's message for this window was read: whatever was
//     sent before the barrier has arrived. Each partition sends exactly one
//     message per window to each linked peer, so the n-th message from a
//     peer is its n-th window's; a peer can be at most one window ahead.
//  3. Wait (null messages) needs global stuck detection: the coordinator's
//     hub serves null-message runs. Here Wait aborts the run.
//  4. Abort sends an abort message to every linked peer and tells the
//     coordinator (`report_abort`); a peer's stream that breaks, or the
//     coordinator's going away (AbortLocal), ends every blocked call here.
// Window sync leaves everywhere in the same window (every partition sees
// the same minimum), so Leave needs no message.
//
// Back-pressure: a write completes under HTTP/2 flow control. A partition
// posts its read beside its write and waits for both, so two partitions
// writing large batches to each other never wait for each other's reads.
#ifndef STRATA_PARTITION_PEER_TRANSPORT_H_
#define STRATA_PARTITION_PEER_TRANSPORT_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "strata/sim/transport.h"
#include "strata/v1/partition_service.grpc.pb.h"

namespace strata::partition {

// The HTTP/2 settings of both ends of a peer stream (a ServerBuilder or
// grpc::ChannelArguments): a fixed, large stream window
// (PeerTransport::kWindowBytes), so a window's batch goes out in one piece,
// and no BDP probing, whose pings would only add wake-ups.
template <typename Args>
void AddPeerStreamArguments(Args& args);

// One end of a pair's ExchangeWindows stream, with the completion queue
// that only its partition's thread drives. The opener's end is a client
// call; the other end a server call, which PeerAcceptor starts.
struct PeerCall {
  PeerCall() = default;
  PeerCall(const PeerCall&) = delete;
  PeerCall& operator=(const PeerCall&) = delete;
  ~PeerCall();  // cancels what is still pending and drains the queue

  bool is_client() const { return client != nullptr; }
  void Write(const v1::PeerWindow& window, void* tag);
  void Read(v1::PeerWindow* window, void* tag);
  void Cancel();  // any thread: pending and later operations fail

  grpc::CompletionQueue cq;
  std::unique_ptr<v1::PartitionService::Stub> stub;
  grpc::ClientContext client_context;
  std::unique_ptr<grpc::ClientAsyncReaderWriter<v1::PeerWindow, v1::PeerWindow>> client;
  grpc::ServerContext server_context;
  grpc::ServerAsyncReaderWriter<v1::PeerWindow, v1::PeerWindow> server{&server_context};
  bool server_started = false;  // the server end's call arrived
  grpc::Status status;  // the client end's, from Finish
};

class PeerTransport final : public sim::Transport {
 public:
  // HTTP/2 stream window on peer streams (AddPeerStreamArguments): a
  // window's batch for one peer goes out in one piece, without a
  // flow-control round trip.
  static constexpr int kWindowBytes = 256 << 20;

  // `peers[q]`: the address of the service running partition q (self's
  // entry is not used). `report_abort(reason)` tells the coordinator that
  // this partition aborted the run.
  // Topology: kAllToAll, every partition exchanges with every other, n(n-1)
  // messages and one hop per window. kStar: partition 0 is the root; the
  // others write their window (batches for any partition, and their
  // vector) to it, the root takes the minimum and answers each with it and
  // the batches addressed to it (forwarding leaf-to-leaf ones): 2(n-1)
  // messages and two hops, the second inside the root's own thread.
  enum class Topology { kAllToAll, kStar };
  PeerTransport(std::string session, sim::PartitionId self, std::vector<std::string> peers,
                std::function<void(const std::string&)> report_abort, Topology topology = Topology::kAllToAll);
  ~PeerTransport() override;  // Finish()

  const std::string& session() const { return session_; }
  sim::PartitionId self() const { return self_; }

  // Opens a stream to every linked lower-numbered peer, then waits until
  // every linked higher-numbered one opened its stream here. UNAVAILABLE
  // naming the peer when one cannot be reached within `timeout`; ABORTED
  // when aborted meanwhile.
  absl::Status Connect(absl::Duration timeout);
  // A stream that partition `subscriber` opened here (PeerAcceptor, any
  // thread); takes *call. Leaves *call to the caller and returns
  // INVALID_ARGUMENT for a subscriber outside the plan, not linked, not
  // higher-numbered than self, or subscribing twice; FAILED_PRECONDITION
  // once the run has ended here.
  grpc::Status Adopt(uint32_t subscriber, std::unique_ptr<PeerCall>* call);
  // Ends the run's streams: waits for this partition's last writes, closes
  // every stream and drains it. Partition thread; idempotent.
  void Finish();
  // The coordinator went away or cancelled: every blocked call returns as
  // aborted; later ones do not block. The first reason is kept. Any thread.
  void AbortLocal(const std::string& reason);
  bool aborted() const;
  std::string abort_reason() const;

  int partition_count() const override { return static_cast<int>(peers_.size()); }
  void Send(sim::PartitionMessage message) override;
  void Receive(sim::PartitionId self, std::vector<sim::PartitionMessage>* out) override;
  sim::WaitResult Wait(sim::PartitionId self, sim::SimTime next_event, sim::SimTime* floor) override;
  std::optional<std::vector<sim::SimTime>> AllReduceMin(sim::PartitionId self,
                                                        std::vector<sim::SimTime> values) override;
  void Leave(sim::PartitionId) override {}
  void Abort() override;

 private:
  struct Peer {
    std::unique_ptr<PeerCall> call;  // set by Connect or Adopt (guarded by mu_ until Connect returns)
    bool write_pending = false;      // partition thread only, from here on
    bool read_pending = false;
    v1::PeerWindow in;
    std::vector<std::string> unsent;  // batches for q this window
  };
  enum Tag : intptr_t { kWritten = 1, kRead, kFinished };
  static constexpr sim::PartitionId kRoot = 0;
  // Whether self and q exchange messages directly.
  bool Linked(sim::PartitionId q) const;
  using Deadline = std::chrono::system_clock::time_point;
  // Drives the peer's queue until `tag` completes; its ok. Past `deadline`
  // the call is cancelled and the result is false.
  bool Await(Peer& peer, Tag tag, Deadline deadline = Deadline::max());
  // Writes `window` to peer q; false once that stream is gone.
  bool WriteTo(sim::PartitionId q, const v1::PeerWindow& window);
  // Reads peer q's next window into its `in`; false (aborted, with the
  // reason) when the stream ended or q aborted.
  bool ReadFrom(sim::PartitionId q);
  // Records the first reason; the partition thread's own failures.
  void MarkAborted(const std::string& reason);
  // Tells every linked peer that the run aborted (the root relays).
  void SendAbort(const std::string& reason);
  // Writes `values` and the batches waiting for each linked peer to it.
  bool WriteAll(const std::vector<sim::SimTime>& values);
  // Reads one window from each linked peer and absorbs it.
  bool ReadAll(std::vector<sim::SimTime>* values);
  // Peer q's window: its times into the elementwise minimum *values, the
  // batches for self into the inbox, and (a star's root) the batches for
  // others into their next answer. False (aborted) on a bad batch.
  bool Absorb(sim::PartitionId q, v1::PeerWindow& in, std::vector<sim::SimTime>* values);
  // Decodes a batch read from peer q; aborts (false) unless it is q's own
  // batch for another partition (the root's check) or any partition's
  // batch for self (a leaf's or all-to-all's).
  bool Decode(const std::string& bytes, sim::PartitionId q, sim::PartitionMessage* m);

  const std::string session_;
  const sim::PartitionId self_;
  const std::vector<std::string> peers_;
  // Times in this run's windows: the partition count, or (n + 1) x n + 1
  // under window sync with lookahead from the models (one row each).
  size_t window_length_ = 0;
  const Topology topology_;
  std::function<void(const std::string&)> report_abort_;
  std::vector<std::unique_ptr<Peer>> by_partition_;  // null where not linked
  std::vector<sim::PartitionMessage> inbox_;         // partition thread only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  bool aborted_ = false;
  std::string abort_reason_;
};

template <typename Args>
void AddPeerStreamArguments(Args& args) {
  if constexpr (requires { args.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0); }) {
    args.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, PeerTransport::kWindowBytes);
    args.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  } else {
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, PeerTransport::kWindowBytes);
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  }
}

// Accepts the ExchangeWindows streams that peers open to this service and
// hands each to its run's PeerTransport. Its own thread waits on a
// completion queue that does not poll the server's connections, so the
// windows that arrive on accepted streams never wake it.
class PeerAcceptor {
 public:
  using Service = v1::PartitionService::WithAsyncMethod_ExchangeWindows<v1::PartitionService::Service>;
  using FindSession = std::function<std::shared_ptr<PeerTransport>(const std::string& session)>;
  // `cq`: the server's, from ServerBuilder::AddCompletionQueue(false).
  PeerAcceptor(Service* service, std::unique_ptr<grpc::ServerCompletionQueue> cq, FindSession find_session);
  ~PeerAcceptor();  // Shutdown()
  // After grpc::Server::Shutdown: stops accepting and joins the thread.
  void Shutdown();

 private:
  void Run();
  // Asks the server for the next stream on `call`. False once Shutdown has
  // begun: gRPC aborts the process on a request to a completion queue that
  // is shut down, which a thread starting late on a loaded machine did.
  bool RequestNextCall(PeerCall* call);
  // A new call: reads its first message and hands it over, or ends it with
  // the reason.
  void Accept(std::unique_ptr<PeerCall> call);

  Service* const service_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  FindSession find_session_;
  std::mutex mu_;
  bool shut_down_ = false;  // guarded by mu_
  std::thread thread_;      // last: it starts with every other member set
};

}  // namespace strata::partition

#endif  // STRATA_PARTITION_PEER_TRANSPORT_H_
