#include "server/authenticator.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpcpp/security/auth_context.h"

namespace strata::coordinator {
namespace {

constexpr char kHowToAuthenticate[] =
    "send 'authorization: Bearer <token>' (strata --token_file or $STRATA_TOKEN) or a client certificate "
    "the coordinator's CA signed (--tls_cert, --tls_key); see docs/security.md";

absl::Status ReadTokenFile(const std::string& path, absl::flat_hash_map<std::string, Caller>* by_token) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("auth_token_file = '", path, "' cannot be read"));
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = line;
    if (size_t hash = text.find('#'); hash != absl::string_view::npos) text = text.substr(0, hash);
    std::vector<absl::string_view> words = absl::StrSplit(text, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) continue;
    auto where = [&] { return absl::StrCat("auth_token_file '", path, "' line ", number, ": "); };
    if (words.size() < 2 || words.size() > 3) {
      return absl::InvalidArgumentError(absl::StrCat(where(), words.size(), " words; allowed: token owner [admin|service]"));
    }
    Caller caller{std::string(words[1])};
    if (words.size() == 3) {
      if (words[2] == "admin") {
        caller.admin = true;
      } else if (words[2] == "service") {
        caller.service = true;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(where(), "role = '", words[2], "'; allowed: admin, service (or none: a user)"));
      }
    }
    if (!by_token->emplace(std::string(words[0]), caller).second) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "a token given twice; allowed: one owner per token"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Authenticator> Authenticator::Create(const AuthOptions& options) {
  Authenticator auth;
  if (!options.token_file.empty()) {
    if (absl::Status s = ReadTokenFile(options.token_file, &auth.by_token_); !s.ok()) return s;
  }
  auth.admin_names_.insert(options.admin_cert_names.begin(), options.admin_cert_names.end());
  auth.service_names_.insert(options.service_cert_names.begin(), options.service_cert_names.end());
  auth.enabled_ = !options.token_file.empty() || options.client_certificates;
  return auth;
}

absl::StatusOr<Caller> Authenticator::Identify(const grpc::ServerContextBase& context) const {
  if (!enabled_) return Caller{"", /*admin=*/true, /*service=*/true};
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    absl::string_view value(it->second.data(), it->second.size());
    if (!absl::ConsumePrefix(&value, "Bearer ")) {
      return absl::UnauthenticatedError(absl::StrCat("the authorization header is not 'Bearer <token>'; ",
                                                     kHowToAuthenticate));
    }
    auto caller = by_token_.find(value);
    if (caller == by_token_.end()) {
      return absl::UnauthenticatedError(
          "the bearer token is not one this coordinator knows (its --auth_token_file); ask its operator for one");
    }
    return caller->second;
  }
  // A client certificate: gRPC has verified it against the CA already
  // (an unverifiable one fails the handshake), so its common name is whom
  // the CA vouches for.
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    std::vector<grpc::string_ref> names = auth->FindPropertyValues("x509_common_name");
    if (!names.empty() && !names.front().empty()) {
      std::string name(names.front().data(), names.front().size());
      return Caller{name, admin_names_.contains(name), service_names_.contains(name)};
    }
  }
  return absl::UnauthenticatedError(absl::StrCat("this coordinator requires a credential; ", kHowToAuthenticate));
}

}  // namespace strata::coordinator
