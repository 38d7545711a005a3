// PeerTransport: window sync between services directly, without the
// coordinator in the loop. Each service runs one partition; the partition's
// own thread writes one PeerWindow per window to every peer (its events for
// that peer and its AllReduceMin vector) and then reads one from every
// peer. Each partition computes the elementwise minimum itself, so a
// window costs one message one way per pair, where the coordinator's hub
// (PartitionHub) costs a message to it and one back, and wakes its own
// threads in between.
//
// Wiring: partition p reads peer q's messages on an ExchangeWindows stream
// that p opened to q's service (p is the client: its own thread reads, so
// no gRPC server thread is woken to hand messages over); q writes them from
// its partition thread on the server side of that stream.
//
// Why the sim-core transport contract holds:
//  1. One stream per ordered pair carries that pair's messages in order.
//  2. The events a partition sent during a window travel in the same
//     message as its AllReduceMin part, and AllReduceMin returns only after
//     every peer's message for this window was read: whatever was sent
//     before the barrier has arrived. Each partition sends exactly one
//     message per window to each peer, so the n-th message from a peer is
//     its n-th window's; a peer can be at most one window ahead.
//  3. Wait (null messages) needs global stuck detection: the coordinator's
//     hub serves null-message runs. Here Wait aborts the run.
//  4. Abort sends an abort message to every peer and tells the coordinator
//     (`report_abort`); a peer's stream that breaks, or the coordinator's
//     going away (AbortLocal), ends every blocked call here.
// Window sync leaves everywhere in the same window (every partition sees
// the same minimum), so Leave needs no message.
//
// Back-pressure: a Write blocks under HTTP/2 flow control. Every partition
// writes before it reads, so the stream windows are large (kWindowBytes):
// a window's batch for one peer must fit, or two partitions writing to each
// other would wait for each other's reads.
#ifndef STRATA_PARTITION_PEER_TRANSPORT_H_
#define STRATA_PARTITION_PEER_TRANSPORT_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "strata/sim/transport.h"
#include "strata/v1/partition_service.grpc.pb.h"

namespace strata::partition {

class PeerTransport final : public sim::Transport {
 public:
  // HTTP/2 stream window on peer streams: the largest batch one partition
  // can send one peer in one window without waiting for it to read.
  static constexpr int kWindowBytes = 256 << 20;

  // `peers[q]`: the address of the service running partition q (self's
  // entry is not used). `report_abort(reason)` tells the coordinator that
  // this partition aborted the run.
  // Topology: kAllToAll, every partition writes to and reads from every
  // other, n(n-1) messages and one hop per window. kStar: partition 0 is
  // the root; the others write their window (batches for any partition,
  // and their vector) to it, the root takes the minimum and answers each
  // with it and the batches addressed to it (forwarding leaf-to-leaf
  // ones): 2(n-1) messages and two hops, the second inside the root's own
  // thread.
  enum class Topology { kAllToAll, kStar };
  PeerTransport(std::string session, sim::PartitionId self, std::vector<std::string> peers,
                std::function<void(const std::string&)> report_abort, Topology topology = Topology::kAllToAll);
  ~PeerTransport() override;  // ends every stream, waits for Serve calls

  const std::string& session() const { return session_; }
  sim::PartitionId self() const { return self_; }

  // Subscribes to every peer, then waits until every peer subscribed here.
  // UNAVAILABLE naming the peer when one cannot be reached within
  // `timeout`; ABORTED when aborted meanwhile.
  absl::Status Connect(absl::Duration timeout);
  // The ExchangeWindows handler for a peer that subscribed here: hands the
  // stream to the partition's thread and blocks until the run ends (or the
  // peer goes away). INVALID_ARGUMENT for a subscriber outside the plan or
  // subscribing twice.
  grpc::Status Serve(grpc::ServerContext* context, uint32_t subscriber, grpc::ServerWriter<v1::PeerWindow>* writer);
  // Ends the run's streams: the peers' Serve calls return.
  void Finish();
  // The coordinator went away or cancelled: every blocked call returns as
  // aborted; later ones do not block. The first reason is kept.
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
    std::unique_ptr<v1::PartitionService::Stub> stub;
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::PeerWindow>> reader;  // q -> self
    grpc::ServerWriter<v1::PeerWindow>* writer = nullptr;        // self -> q, guarded by mu_
    bool served = false;   // q subscribed (guarded by mu_)
    bool writing = false;  // the partition thread is inside writer->Write (guarded by mu_)
    std::vector<std::string> unsent;  // batches for q this window (partition thread only)
  };
  static constexpr sim::PartitionId kRoot = 0;
  // Whether self and q exchange messages directly.
  bool Linked(sim::PartitionId q) const;
  // Writes `window` to peer q; false once that stream is gone.
  bool WriteTo(sim::PartitionId q, const v1::PeerWindow& window);
  // Reads peer q's next window into *in; false (aborted, with the reason)
  // when the stream ended or q aborted.
  bool ReadFrom(sim::PartitionId q, v1::PeerWindow* in);
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
  const Topology topology_;
  std::function<void(const std::string&)> report_abort_;
  std::vector<std::unique_ptr<Peer>> by_partition_;  // null for self
  std::vector<sim::PartitionMessage> inbox_;         // partition thread only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int serving_ = 0;  // Serve calls still inside
  bool finished_ = false;
  bool aborted_ = false;
  std::string abort_reason_;
};

}  // namespace strata::partition

#endif  // STRATA_PARTITION_PEER_TRANSPORT_H_
