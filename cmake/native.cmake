# Native build: the engine with the host's best SIMD (AVX2+FMA on this machine kind), the
# GoogleTest suites, the ONNX conformance suite, Google Benchmark microbenchmarks, fuzzers.
option(INSTYLE_NATIVE_ARCH "Compile for the host CPU (-march=native)" ON)
option(INSTYLE_SANITIZE "Build with AddressSanitizer and UBSan" OFF)

# GCC 12 warns falsely inside its own avx512fintrin.h (_mm512_max_ps); the warning is noise.
set(INSTYLE_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-maybe-uninitialized)
set(INSTYLE_ARCH_FLAGS "")
if(INSTYLE_NATIVE_ARCH)
  set(INSTYLE_ARCH_FLAGS -march=native)
endif()
if(INSTYLE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

find_package(Threads REQUIRED)

add_library(instyle_core STATIC ${INSTYLE_SOURCES})
target_include_directories(instyle_core PUBLIC ${CMAKE_SOURCE_DIR}/src)
target_include_directories(instyle_core SYSTEM PUBLIC ${INSTYLE_SYSTEM_INCLUDE_DIR})
target_compile_options(instyle_core PRIVATE ${INSTYLE_WARNINGS} ${INSTYLE_ARCH_FLAGS} -O3)
target_link_libraries(instyle_core PUBLIC Threads::Threads)
# Eigen's AVX-512 code (-march=native on a host that has it) trips the same false warning in
# GCC 12's avx512fintrin.h, as -Wuninitialized.
set_source_files_properties(${CMAKE_SOURCE_DIR}/src/wct.cpp PROPERTIES COMPILE_OPTIONS -Wno-uninitialized)

enable_testing()
find_package(GTest REQUIRED)

# Unit and property tests: one executable per tests/native/*_test.cpp, so a suite can be built
# and run alone (cmake --build build --target norm_test && build/norm_test).
file(GLOB INSTYLE_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/native/*_test.cpp)
list(FILTER INSTYLE_TEST_SOURCES EXCLUDE REGEX "onnx_conformance_test\\.cpp$")
foreach(test_source ${INSTYLE_TEST_SOURCES})
  get_filename_component(test_name ${test_source} NAME_WE)
  add_executable(${test_name} ${test_source})
  target_compile_options(${test_name} PRIVATE ${INSTYLE_WARNINGS} ${INSTYLE_ARCH_FLAGS})
  target_include_directories(${test_name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/native)
  target_link_libraries(${test_name} PRIVATE instyle_core GTest::gtest_main)
  add_test(NAME ${test_name} COMMAND ${test_name})
endforeach()

# The outside reference: Debian's ONNX conformance vectors, read with Debian's onnx/protobuf.
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/native/onnx_conformance_test.cpp)
  find_package(Protobuf REQUIRED)
  find_path(ONNX_INCLUDE_DIR onnx/onnx_pb.h REQUIRED)
  find_library(ONNX_PROTO_LIBRARY onnx_proto REQUIRED)
  add_executable(onnx_conformance_tests ${CMAKE_SOURCE_DIR}/tests/native/onnx_conformance_test.cpp)
  target_compile_definitions(onnx_conformance_tests PRIVATE ONNX_NAMESPACE=onnx ONNX_ML=1
    INSTYLE_ONNX_TESTDATA="/usr/share/libonnx-testdata/data")
  target_include_directories(onnx_conformance_tests PRIVATE ${ONNX_INCLUDE_DIR} ${CMAKE_SOURCE_DIR}/tests/native)
  # Its own main() adds a listener that prints the per-op summary, hence gtest, not gtest_main.
  target_compile_options(onnx_conformance_tests PRIVATE ${INSTYLE_WARNINGS} ${INSTYLE_ARCH_FLAGS})
  target_link_libraries(onnx_conformance_tests PRIVATE instyle_core GTest::gtest
    ${ONNX_PROTO_LIBRARY} protobuf::libprotobuf)
  add_test(NAME onnx_conformance_tests COMMAND onnx_conformance_tests)
endif()

# A bounded libFuzzer run over the ONNX reader and model loader (clang, ASan + UBSan): it
# builds its own target in build/fuzz and seeds from the models the model tests generate.
find_program(INSTYLE_CLANGXX clang++)
if(INSTYLE_CLANGXX AND EXISTS ${CMAKE_SOURCE_DIR}/scripts/fuzz.sh)
  add_test(NAME onnx_reader_fuzz COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/fuzz.sh --seconds 30
    --out ${CMAKE_BINARY_DIR}/fuzz --models ${CMAKE_BINARY_DIR}/test-models)
  set_tests_properties(onnx_reader_fuzz PROPERTIES TIMEOUT 1200)
endif()

# Where a network's time goes, step by step: ./build/instyle_profile MODEL.onnx 256x256
add_executable(instyle_profile ${CMAKE_SOURCE_DIR}/tools/profile.cpp)
target_compile_options(instyle_profile PRIVATE ${INSTYLE_ARCH_FLAGS} -O3)
target_link_libraries(instyle_profile PRIVATE instyle_core)

# Microbenchmarks (not part of the tests): ./build/instyle_bench
find_package(benchmark QUIET)
file(GLOB INSTYLE_BENCH_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bench/*.cpp)
if(benchmark_FOUND AND INSTYLE_BENCH_SOURCES)
  add_executable(instyle_bench ${INSTYLE_BENCH_SOURCES})
  target_compile_options(instyle_bench PRIVATE ${INSTYLE_ARCH_FLAGS} -O3)
  target_link_libraries(instyle_bench PRIVATE instyle_core benchmark::benchmark)
endif()
