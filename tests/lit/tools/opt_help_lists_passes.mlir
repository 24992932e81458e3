// RUN: xunity-opt --help | filecheck %s
// The pass list comes from the same registry that xdsl-opt reads.

// CHECK: graph-specialize-shapes
