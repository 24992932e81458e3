// RUN: xunity-opt --help | tr -d ' \n' | filecheck %s
// The pass list comes from the same registry that xdsl-opt reads (argparse
// wraps the list, hence the tr).

// CHECK: check-lowered-to-llvm
// CHECK-SAME: graph-legalize
// CHECK-SAME: graph-specialize-shapes
// CHECK-SAME: xunity-lower-to-llvm
