#include "la3d/core/result.hpp"

namespace la3d {

Error make_error(std::string message) {
  // Errors are shown as one line; a stray newline from a library message would break that.
  for (char& c : message)
    if (c == '\n' || c == '\r') c = ' ';
  return Error{std::move(message)};
}

}  // namespace la3d
