// One unary call through a grpc::GenericStub, waited for: raw bytes in and
// out, so a test can send what no generated stub would (a made-up method
// path, a malformed body).
#ifndef STRATA_COORDINATOR_TESTS_GENERIC_CALL_H_
#define STRATA_COORDINATOR_TESTS_GENERIC_CALL_H_

#include <condition_variable>
#include <mutex>
#include <string>

#include "grpcpp/generic/generic_stub.h"

namespace strata::coordinator {

inline grpc::Status BlockingGenericCall(grpc::GenericStub& stub, grpc::ClientContext* context,
                                        const std::string& method, const grpc::ByteBuffer& request,
                                        grpc::ByteBuffer* response) {
  grpc::Status status;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  stub.UnaryCall(context, method, grpc::StubOptions(), &request, response, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    status = s;
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  return status;
}

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_TESTS_GENERIC_CALL_H_
