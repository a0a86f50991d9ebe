# WASM build (Emscripten 3.1.6). xsimd 8.1 has no wasm arch; -msimd128 -msse4.1 makes it pick
# SSE4.1, which Emscripten's SSE headers lower to WASM SIMD (f32x4) instructions.
#
# Two engine variants, compiled once each: "simd" (single thread) and "simd-threads"
# (pthreads). Each is linked twice, for the web (browsers, workers, bundlers) and for Node,
# since one ES-module loader cannot serve both with Emscripten 3.1.6 (TOOLCHAIN.md #3). The
# two links of a variant produce the same .wasm bytes, so only the web one is shipped: Node
# reads it from disk and passes it as wasmBinary (js/index.node.js). Output in dist/:
#   instyle-simd-web.mjs            instyle-simd-web.wasm
#   instyle-simd-node.mjs
#   instyle-simd-threads-web.mjs    instyle-simd-threads-web.wasm   instyle-simd-threads-web.worker.js
#   instyle-simd-threads-node.mjs   instyle-simd-threads-node.worker.cjs
set(INSTYLE_WASM_FLAGS -O3 -msimd128 -msse4.1)
set(INSTYLE_OUT_DIR ${CMAKE_SOURCE_DIR}/dist CACHE PATH "Where the .mjs/.wasm files go")
file(GLOB INSTYLE_BINDING_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bindings/*.cpp)

# The JS side allocates with _malloc/_free and reads the heap through the Memory object
# (Module.wasmMemory with threads, Module.asm.memory without); nothing else is exported.
# ABORTING_MALLOC=0: a failed malloc returns 0, which the API reports as OUT_OF_MEMORY.
set(INSTYLE_LINK_COMMON
  --bind -O3 -msimd128
  -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createInstyleModule
  -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB -sINITIAL_MEMORY=32MB -sABORTING_MALLOC=0
  -sMALLOC=emmalloc -sFILESYSTEM=0 -sDYNAMIC_EXECUTION=0
  "-sEXPORTED_FUNCTIONS=['_malloc','_free']")

# The web loaders never use import.meta.url themselves: js/index.browser.js hands them every
# URL (locateFile, mainScriptUrlOrBlob). Emscripten's own `new Worker(new URL(...))` fallback
# would make bundlers try to bundle the pthread worker script, which breaks it.
set(INSTYLE_LINK_WEB -sENVIRONMENT=web,worker -sUSE_ES6_IMPORT_META=0)
set(INSTYLE_LINK_NODE -sENVIRONMENT=node --extern-pre-js ${CMAKE_SOURCE_DIR}/bindings/node-esm-shim.js)

# Pthreads: the pool is sized at run time by the JS loader (Module.instylePoolSize, threads - 1,
# at least 1) and fully loaded before init() resolves, so pthread_create never waits on the
# event loop. navigator.hardwareConcurrency would not do: Node 20 has no `navigator`.
set(INSTYLE_LINK_THREADS -pthread -sPTHREAD_POOL_SIZE=Module.instylePoolSize -Wno-pthreads-mem-growth)

function(instyle_wasm_variant variant threads)
  set(core instyle_core_${variant})
  add_library(${core} STATIC ${INSTYLE_SOURCES})
  target_include_directories(${core} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_include_directories(${core} SYSTEM PUBLIC ${INSTYLE_SYSTEM_INCLUDE_DIR})
  target_compile_options(${core} PUBLIC ${INSTYLE_WASM_FLAGS})
  set(thread_link "")
  if(threads)
    target_compile_options(${core} PUBLIC -pthread)
    set(thread_link ${INSTYLE_LINK_THREADS})
  endif()
  if(NOT INSTYLE_BINDING_SOURCES)
    return()
  endif()
  foreach(env web node)
    set(target instyle-${variant}-${env})
    add_executable(${target} ${INSTYLE_BINDING_SOURCES})
    target_link_libraries(${target} PRIVATE ${core})
    set_target_properties(${target} PROPERTIES SUFFIX ".mjs" RUNTIME_OUTPUT_DIRECTORY ${INSTYLE_OUT_DIR})
    if(env STREQUAL "web")
      target_link_options(${target} PRIVATE ${INSTYLE_LINK_COMMON} ${thread_link} ${INSTYLE_LINK_WEB})
    else()
      target_link_options(${target} PRIVATE ${INSTYLE_LINK_COMMON} ${thread_link} ${INSTYLE_LINK_NODE})
      set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${CMAKE_SOURCE_DIR}/bindings/node-esm-shim.js)
      # Link after the web loader, then drop this link's .wasm once it is checked identical.
      add_dependencies(${target} instyle-${variant}-web)
      add_custom_command(TARGET ${target} POST_BUILD
        COMMAND ${CMAKE_COMMAND} -DOUT_DIR=${INSTYLE_OUT_DIR} -DVARIANT=${variant}
                -P ${CMAKE_SOURCE_DIR}/cmake/wasm-postlink.cmake
        VERBATIM)
    endif()
  endforeach()
endfunction()

instyle_wasm_variant(simd OFF)
instyle_wasm_variant(simd-threads ON)

# The kernel suites, compiled to WebAssembly and run under Node by tests/js/wasm-kernels.test.mjs
# (part of npm test): the same GoogleTest files as the native build (SIMD kernels against their
# scalar references, shape sweeps of Winograd, im2col, direct, 1x1, depthwise, the folded
# upsampling and every pad mode), but over the single-threaded engine that ships, so what runs
# in browsers is what is tested. GoogleTest is built from the sources Debian's libgtest-dev
# ships in /usr/src/googletest (its prebuilt libraries are native).
set(INSTYLE_GTEST_SRC /usr/src/googletest/googletest)
set(INSTYLE_WASM_SUITES conv norm eltwise pad resize pool wct invariance)
if(EXISTS ${INSTYLE_GTEST_SRC}/src/gtest-all.cc)
  add_library(gtest_wasm STATIC ${INSTYLE_GTEST_SRC}/src/gtest-all.cc ${INSTYLE_GTEST_SRC}/src/gtest_main.cc)
  target_include_directories(gtest_wasm SYSTEM PUBLIC ${INSTYLE_GTEST_SRC}/include)
  target_include_directories(gtest_wasm PRIVATE ${INSTYLE_GTEST_SRC})
  target_compile_options(gtest_wasm PRIVATE -O2)
  foreach(suite ${INSTYLE_WASM_SUITES})
    set(target ${suite}_test_wasm)
    add_executable(${target} ${CMAKE_SOURCE_DIR}/tests/native/${suite}_test.cpp)
    target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/tests/native)
    target_link_libraries(${target} PRIVATE instyle_core_simd gtest_wasm)
    # EXIT_RUNTIME: main's return value becomes Node's exit status (a failed test fails the run).
    # SINGLE_FILE: the .wasm inside the .cjs; the loader would fetch() a file path in Node 20.
    target_link_options(${target} PRIVATE -O2 -msimd128 -sENVIRONMENT=node -sEXIT_RUNTIME=1
      -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB -sSINGLE_FILE=1)
    set_target_properties(${target} PROPERTIES SUFFIX ".cjs" OUTPUT_NAME ${suite}_test
      RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/kernel-tests)
  endforeach()
endif()
