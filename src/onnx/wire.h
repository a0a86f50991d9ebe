// wire.h: the protobuf wire format, read by hand (onnx.h says why): each message is a run of
// (tag, payload) fields; a tag is a varint holding (field number << 3 | wire type). A Reader
// walks one message's fields with bounds checks and byte offsets for errors. Internal to
// src/onnx/.
//
//   Reader r(data, size, 0);
//   Field f;
//   while (!r.done()) { INSTYLE_RETURN_IF_ERROR(r.next(&f)); if (f.number == 7) ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "status.h"

namespace instyle::onnx::wire {

enum WireType : int { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// One decoded field. For kLengthDelimited, `data`/`size` point into the input.
struct Field {
  uint32_t number = 0;
  int wire = 0;
  uint64_t value = 0;  // varint, fixed32 or fixed64 payload
  const uint8_t* data = nullptr;
  std::size_t size = 0;
  std::size_t offset = 0;  // of the tag, from the start of the outermost buffer
};

inline std::string at(std::size_t offset) {
  return " at byte " + std::to_string(offset);
}

class Reader {
 public:
  Reader(const uint8_t* data, std::size_t size, std::size_t base_offset)
      : p_(data), end_(data + size), start_(data), base_(base_offset) {}

  bool done() const { return p_ == end_; }

  Status next(Field* f) {
    f->offset = offset();
    uint64_t tag = 0;
    INSTYLE_RETURN_IF_ERROR(varint(&tag));
    if (tag >> 32) return invalid_model("field tag out of range" + at(f->offset));
    f->number = static_cast<uint32_t>(tag >> 3);
    f->wire = static_cast<int>(tag & 7);
    if (f->number == 0) return invalid_model("field number 0" + at(f->offset));
    switch (f->wire) {
      case kVarint:
        return varint(&f->value);
      case kFixed64:
        return fixed(8, &f->value);
      case kFixed32:
        return fixed(4, &f->value);
      case kLengthDelimited: {
        uint64_t len = 0;
        INSTYLE_RETURN_IF_ERROR(varint(&len));
        if (len > static_cast<uint64_t>(end_ - p_)) {
          return invalid_model("field " + std::to_string(f->number) + " declares " +
                               std::to_string(len) + " bytes but only " +
                               std::to_string(end_ - p_) + " remain" + at(f->offset));
        }
        f->data = p_;
        f->size = static_cast<std::size_t>(len);
        p_ += len;
        return Status();
      }
      default:
        // 3 and 4 are the deprecated groups, which ONNX never uses; 6 and 7 do not exist.
        return invalid_model("unsupported wire type " + std::to_string(f->wire) + " for field " +
                             std::to_string(f->number) + at(f->offset));
    }
  }

  Status varint(uint64_t* v) {
    const std::size_t start = offset();
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return invalid_model("truncated varint" + at(start));
      const uint8_t b = *p_++;
      if (shift == 63 && b > 1) return invalid_model("varint overflows 64 bits" + at(start));
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *v = result;
        return Status();
      }
    }
    return invalid_model("varint longer than 10 bytes" + at(start));
  }

  std::size_t offset() const { return base_ + static_cast<std::size_t>(p_ - start_); }

 private:
  Status fixed(int bytes, uint64_t* v) {
    if (end_ - p_ < bytes) return invalid_model("truncated fixed-size field" + at(offset()));
    uint64_t r = 0;
    for (int i = 0; i < bytes; ++i) r |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += bytes;
    *v = r;
    return Status();
  }

  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* start_;
  std::size_t base_;
};

// A sub-message's reader, keeping byte offsets relative to the whole file.
inline Reader sub_reader(const Field& f, const uint8_t* file_start) {
  return Reader(f.data, f.size, static_cast<std::size_t>(f.data - file_start));
}

inline Status expect_wire(const Field& f, int wire, const char* what) {
  if (f.wire == wire) return Status();
  return invalid_model(std::string(what) + ": wire type " + std::to_string(f.wire) + ", expected " +
                       std::to_string(wire) + at(f.offset));
}

inline float bits_to_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline double bits_to_double(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

inline std::string as_string(const Field& f) {
  return std::string(reinterpret_cast<const char*>(f.data), f.size);
}

// Repeated scalar fields come packed (one length-delimited field) or unpacked (one field per
// value); a parser must accept both.
inline Status append_varints(const Field& f, std::vector<uint64_t>* out, const char* what,
                             const uint8_t* file_start) {
  if (f.wire == kVarint) {
    out->push_back(f.value);
    return Status();
  }
  INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, what));
  Reader r = sub_reader(f, file_start);
  while (!r.done()) {
    uint64_t v = 0;
    INSTYLE_RETURN_IF_ERROR(r.varint(&v));
    out->push_back(v);
  }
  return Status();
}

inline Status append_fixed(const Field& f, int bytes, std::vector<uint64_t>* out,
                           const char* what) {
  const int wire = bytes == 4 ? kFixed32 : kFixed64;
  if (f.wire == wire) {
    out->push_back(f.value);
    return Status();
  }
  INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, what));
  if (f.size % bytes != 0) {
    return invalid_model(std::string(what) + ": packed length " + std::to_string(f.size) +
                         " is not a multiple of " + std::to_string(bytes) + at(f.offset));
  }
  out->reserve(out->size() + f.size / bytes);
  for (std::size_t i = 0; i < f.size; i += bytes) {
    uint64_t v = 0;
    for (int b = 0; b < bytes; ++b) v |= static_cast<uint64_t>(f.data[i + b]) << (8 * b);
    out->push_back(v);
  }
  return Status();
}

}  // namespace instyle::onnx::wire
