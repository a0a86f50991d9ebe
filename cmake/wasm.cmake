# WASM build (Emscripten 3.1.6). xsimd 8.1 has no wasm arch; -msimd128 -msse4.1 makes it pick
# SSE4.1, which Emscripten's SSE headers lower to WASM SIMD (f32x4) instructions.
#
# Two engine variants, compiled once each: "simd" (single thread) and "simd-threads"
# (pthreads). Each is linked twice, for the web (browsers, workers, bundlers) and for Node,
# since one ES-module loader cannot serve both with Emscripten 3.1.6 (see TOOLCHAIN.md).
set(INSTYLE_WASM_FLAGS -O3 -msimd128 -msse4.1)
set(INSTYLE_OUT_DIR ${CMAKE_SOURCE_DIR}/dist CACHE PATH "Where the .mjs/.wasm files go")
file(GLOB INSTYLE_BINDING_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bindings/*.cpp)

set(INSTYLE_LINK_COMMON
  --bind -O3 -msimd128
  -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createInstyleModule
  -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB -sINITIAL_MEMORY=32MB
  -sMALLOC=emmalloc -sFILESYSTEM=0 -sDYNAMIC_EXECUTION=0
  "-sEXPORTED_FUNCTIONS=['_malloc','_free']"
  "-sEXPORTED_RUNTIME_METHODS=['HEAPU8','HEAPF32']")

function(instyle_wasm_variant variant threads)
  set(core instyle_core_${variant})
  add_library(${core} STATIC ${INSTYLE_SOURCES})
  target_include_directories(${core} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_include_directories(${core} SYSTEM PUBLIC ${XSIMD_INCLUDE_DIR})
  target_compile_options(${core} PUBLIC ${INSTYLE_WASM_FLAGS})
  set(thread_link "")
  if(threads)
    target_compile_options(${core} PUBLIC -pthread)
    set(thread_link -pthread -sPTHREAD_POOL_SIZE=navigator.hardwareConcurrency)
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
      target_link_options(${target} PRIVATE ${INSTYLE_LINK_COMMON} ${thread_link} -sENVIRONMENT=web,worker)
    else()
      target_link_options(${target} PRIVATE ${INSTYLE_LINK_COMMON} ${thread_link} -sENVIRONMENT=node
        --extern-pre-js ${CMAKE_SOURCE_DIR}/bindings/node-esm-shim.js)
    endif()
  endforeach()
endfunction()

instyle_wasm_variant(simd OFF)
instyle_wasm_variant(simd-threads ON)
