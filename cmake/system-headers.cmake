# The header-only libraries the engine uses, from Debian: xsimd (the SIMD kernels) and Eigen
# (the eigen-decompositions of the whitening-and-colouring transform, src/wct.cpp). The compiler
# is pointed at a folder that holds only links to them, INSTYLE_SYSTEM_INCLUDE_DIR: adding
# /usr/include itself to an Emscripten build pulls in glibc's headers and breaks it.
find_path(XSIMD_HEADER_DIR xsimd/xsimd.hpp PATHS /usr/include NO_CMAKE_FIND_ROOT_PATH REQUIRED)
find_path(EIGEN_HEADER_DIR Eigen/Eigenvalues PATHS /usr/include/eigen3 NO_CMAKE_FIND_ROOT_PATH REQUIRED)
set(INSTYLE_SYSTEM_INCLUDE_DIR ${CMAKE_BINARY_DIR}/system-include)
file(MAKE_DIRECTORY ${INSTYLE_SYSTEM_INCLUDE_DIR})
file(CREATE_LINK ${XSIMD_HEADER_DIR}/xsimd ${INSTYLE_SYSTEM_INCLUDE_DIR}/xsimd SYMBOLIC)
file(CREATE_LINK ${EIGEN_HEADER_DIR}/Eigen ${INSTYLE_SYSTEM_INCLUDE_DIR}/Eigen SYMBOLIC)
