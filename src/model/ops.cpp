#include "model/ops.h"

#include <cstring>

namespace instyle::model {
namespace {

constexpr OpInfo kOps[] = {
#define INSTYLE_OP_INFO(name, onnx_name, act, fold) {onnx_name, act, fold},
    INSTYLE_MODEL_OPS(INSTYLE_OP_INFO)
#undef INSTYLE_OP_INFO
};
static_assert(sizeof(kOps) / sizeof(kOps[0]) == static_cast<std::size_t>(Op::kCount),
              "one OpInfo per op");

}  // namespace

const OpInfo& op_info(Op op) {
  return kOps[static_cast<std::size_t>(op)];
}

bool op_from_onnx(const std::string& op_type, Op* op) {
  // About 50 entries: a linear scan at load time costs nothing worth a hash map.
  for (std::size_t i = 0; i < static_cast<std::size_t>(Op::kCount); ++i) {
    if (op_type == kOps[i].onnx_name) {
      *op = static_cast<Op>(i);
      return true;
    }
  }
  return false;
}

}  // namespace instyle::model
