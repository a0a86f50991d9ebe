// status.h: the one error type of the engine: the checked kernel entry points (api.h), the
// ONNX reader, the planner and the executor. No exceptions: WASM builds without them, so every
// fallible call returns a Status or a Result<T>. The bindings hand the code's name to JS,
// where it becomes InstyleError's `code`.
//
//   Result<onnx::Model> m = onnx::parse_model(bytes, size);
//   if (!m.ok()) return m.status();          // "node 3 'Conv_3': input 'W' is missing"
//   use(m.value());
#pragma once

#include <string>
#include <utility>

namespace instyle {

// What kind of failure: the JS layer turns it into InstyleError's `code`.
enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input (shape, size, option, value) does not fit
  kShapeMismatch,    // lengths or shapes of the caller's tensors that disagree with each other
  kOutOfMemory,      // more bytes than the heap can hold (4 GiB in WASM), or malloc failed
  kInvalidModel,     // the bytes are not a model we can read (truncated, corrupt, inconsistent)
  kUnsupported,      // a valid model using something instyle does not implement
  kCancelled,        // stopped by the caller
};

inline const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kInvalidModel:
      return "INVALID_MODEL";
    case ErrorCode::kUnsupported:
      return "UNSUPPORTED";
    case ErrorCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::kShapeMismatch:
      return "SHAPE_MISMATCH";
    case ErrorCode::kOutOfMemory:
      return "OUT_OF_MEMORY";
    case ErrorCode::kCancelled:
      return "CANCELLED";
  }
  return "UNKNOWN";
}

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }
  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // The same error with context in front: "graph.node[3] 'Conv_3': " + message.
  Status prefixed(const std::string& context) const {
    return ok() ? *this : Status(code_, context + message_);
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status invalid_model(std::string message) {
  return Status(ErrorCode::kInvalidModel, std::move(message));
}
inline Status unsupported(std::string message) {
  return Status(ErrorCode::kUnsupported, std::move(message));
}
inline Status invalid_argument(std::string message) {
  return Status(ErrorCode::kInvalidArgument, std::move(message));
}

// A value or the Status saying why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit, like absl::StatusOr
  Result(Status status) : status_(std::move(status)) {
    if (status_.ok()) status_ = Status(ErrorCode::kInvalidModel, "internal: Result without value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T&& take() { return std::move(value_); }

 private:
  T value_{};
  Status status_;
};

}  // namespace instyle

// Early return on error, the one macro the runner uses.
#define INSTYLE_RETURN_IF_ERROR(expr)    \
  do {                                   \
    ::instyle::Status status__ = (expr); \
    if (!status__.ok()) return status__; \
  } while (0)
