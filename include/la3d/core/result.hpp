#pragma once
// Errors travel as values: library code never prints or exits, apps/ decides what the user sees.
#include <exception>
#include <string>
#include <utility>
#include <variant>

namespace la3d {

struct Error {
  std::string message;  // one line, names the problem
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

// Builds an Error from pieces, so call sites read as one sentence.
Error make_error(std::string message);

// An exception's text on one line (OpenCV's span several), prefixed with `what`.
Error error_from_exception(const char* what, const char* text);

// Runs `body` and turns any exception that escapes it (cv::Exception, c10::Error, std::bad_alloc)
// into an error naming `what`: the library's entry points promise that no foreign exception
// crosses them, whatever a dependency does inside.
template <class F>
auto guarded(const char* what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return error_from_exception(what, e.what());
  } catch (...) {
    return error_from_exception(what, "unknown failure");
  }
}

}  // namespace la3d
