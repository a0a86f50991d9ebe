# Run after a Node link (cmake -DOUT_DIR=... -DVARIANT=simd|simd-threads -P wasm-postlink.cmake):
# the Node loader reads the web link's .wasm, so its own copy must be byte-identical and is
# then removed. Its pthread worker is CommonJS in a "type": "module" package, so it becomes
# .worker.cjs (Node would otherwise load it as an ES module and find no `require`).
set(web ${OUT_DIR}/instyle-${VARIANT}-web.wasm)
set(node ${OUT_DIR}/instyle-${VARIANT}-node.wasm)
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${web} ${node} RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "${node} differs from ${web}: the Node loader can no longer borrow the "
                      "web .wasm (js/index.node.js); ship both or make the links agree")
endif()
file(REMOVE ${node})
set(worker ${OUT_DIR}/instyle-${VARIANT}-node.worker.js)
if(EXISTS ${worker})
  file(RENAME ${worker} ${OUT_DIR}/instyle-${VARIANT}-node.worker.cjs)
endif()
