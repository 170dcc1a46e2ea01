#include "la3d/core/result.hpp"

namespace la3d {

Error make_error(std::string message) {
  // Errors are shown as one line; a stray newline from a library message would break that.
  for (char& c : message)
    if (c == '\n' || c == '\r') c = ' ';
  return Error{std::move(message)};
}

Error error_from_exception(const char* what, const char* text) {
  std::string t = text ? text : "";
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return make_error(std::string(what) + ": " + t);
}

}  // namespace la3d
