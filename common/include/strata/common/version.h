// The project version (CMake's PROJECT_VERSION) and the git revision the
// binary was built from, written by the build (cmake/git_revision.cmake).
#ifndef STRATA_COMMON_VERSION_H_
#define STRATA_COMMON_VERSION_H_

#include <string>
#include <string_view>

namespace strata {

std::string_view ProjectVersion();  // "0.1"
// The short commit hash, "+dirty" when the tree had uncommitted changes,
// or "unknown" when the source had no git metadata (a tarball, a Docker
// build context without .git).
std::string_view GitRevision();
// "<program> <version> (git <revision>)"
std::string VersionLine(std::string_view program);

}  // namespace strata

#endif  // STRATA_COMMON_VERSION_H_
